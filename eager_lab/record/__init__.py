"""Stage 3, record: what a recording keeps of each step.

``records`` (:class:`Step`, :class:`TensorRecord`), ``summary`` (one-line statistics),
``budget`` (the memory budget and step selection), ``events`` (the recordings a kernel
keeps, and who hears about them).
"""
