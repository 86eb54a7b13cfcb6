"""Stage 4, compare: the same step's eager values against its graph values.

``graph_run`` runs a step as a graph under tfdbg2; ``diff`` pairs and compares the values;
``service`` compares a recorded step (saving and restoring the model's state around it).
"""
