"""Stage 2, naming: give each eager op the name it has in the compiled graph.

``step_graphs`` traces the step as a graph (under the same op callback); ``names`` pairs
eager ops with graph ops by call site and order.
"""
