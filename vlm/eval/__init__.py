"""Evaluation of a backend on EvalItems and K-DTCBench: metrics, item loading, the runner.

``evaluate_file(path, get_backend("extractive"))`` returns an :class:`EvalReport` with scores
per task and category and the failed items; ``docagent eval`` prints it.
"""

from vlm.eval.data import load_items
from vlm.eval.report import EvalReport, ItemScore, MetricRow
from vlm.eval.runner import EvalOptions, evaluate, evaluate_file

__all__ = ["EvalOptions", "EvalReport", "ItemScore", "MetricRow", "evaluate", "evaluate_file",
           "load_items"]
