"""The one synthetic document generator, for tests, benchmarks and training data.

``pdf`` writes Korean text and table PDFs and their scanned copies, ``formats`` minimal EPUB
and XPS files, ``table_cases`` table questions over laid-out grids, ``charts`` vector charts,
``templates`` report templates, and ``collections`` many documents from one template with
questions and gold evidence boxes. Importing the package imports none of them.
"""
