"""The notebook front: ``%eager_debug`` (``magic``, ``cell``), the cell tables
(``table``, ``compare_table``), the ipywidgets view (``widget``), and the id of the cell
that is running (``cell_ids``).
"""
