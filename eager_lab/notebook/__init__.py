"""The notebook front: ``%eager_debug`` (``magic``, ``cell``), the cell tables
(``table``, ``compare_table``) and the ipywidgets view (``widget``).
"""
