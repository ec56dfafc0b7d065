"""The one synthetic document generator, for tests, benchmarks and training data.

``pdf`` writes Korean text and table PDFs, their scanned copies and page images; ``formats``
minimal EPUB and XPS files; ``table_cases`` table questions over laid-out grids;
``long_table`` a table that flows over two or three pages (header on the first page only, or
repeated), with its values and the page of each row. Template
collections: ``templates`` holds the report templates and their entities, ``report`` lays one
report out on a ``canvas`` (text with word boxes, ruled tables) with ``charts``, and
``collections`` builds many reports of one template with questions and gold evidence boxes.
Importing the package imports none of them.
"""
