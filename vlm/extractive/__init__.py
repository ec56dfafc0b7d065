"""Helpers of the ``extractive`` VLM backend: answering from crop text and table cells.

``numbers`` parses Korean quantities, ``morph`` wraps Kiwi, ``question`` reads what a question
asks for, ``matching`` weighs term overlap, ``candidates`` lists possible answers in a
sentence and ``spans`` scores them, ``tables`` answers from cell grids, ``locate`` turns
answers into boxes. Table questions with known answers, for measuring all of it, come from
``vlm.synth.table_cases``.
"""
