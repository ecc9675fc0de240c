"""The demo clinic: a deterministic generator and its static catalogues.

Kept apart from the product's rules: nothing outside ``demo-data``, ``--demo`` and the
tests imports it. :func:`~.loader.load_demo` fills an empty database.
"""
