"""VARCO-VISION: loading, prompts and output parsing, serving backends, and the training recipe.

Usable as a plain library: nothing here imports ``docagent`` or ``workers``.
"""
