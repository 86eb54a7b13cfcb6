"""Stage 5, transport: the comm between the kernel and the JupyterLab panel.

``protocol`` (typed messages, see docs/protocol.md), ``buffers`` (values as binary
buffers), ``transport`` (the comm target and its handlers).
"""
