"""The one synthetic document generator, for tests, benchmarks and training data.

``pdf`` writes Korean text and table PDFs, their scanned copies and page images; ``formats``
minimal EPUB and XPS files; ``table_cases`` table questions over laid-out grids;
``long_table`` a table that flows over two or three pages (header on the first page only, or
repeated), with its values and the page of each row. Template
collections: ``templates`` holds the report templates and their entities, ``report`` lays one
report out on a ``canvas`` (text with word boxes, ruled tables) with ``charts``, and
``collections`` builds many reports of one template with questions and gold evidence boxes.

Training data (``training_set.build_training_set`` writes it): ``topics`` holds what a page is
about (the report templates plus English ones, with tables by group) and samples its numbers;
``typeset`` the Nanum font families and tables with merged header cells; ``mpl_charts``
matplotlib charts with the box of every label and mark; ``pages`` lays a page out in one of
several styles; ``documents`` renders it and crops its blocks; ``degrade`` makes a scan of an
image and moves its boxes; ``rendered`` holds an image's truth (words, facts, table cells,
chart values) in one coordinate space. From a rendered item ``questions`` asks questions with
exact answers (multi-step ones included), ``tasks`` writes captions, questions, OCR,
grounding and referring conversations, ``mcq`` four-option questions, ``preference`` chosen /
rejected pairs, ``text_tasks`` text-only samples and ``evalset`` evaluation items, all as the
records of ``records``. Importing the package imports none of them.
"""
