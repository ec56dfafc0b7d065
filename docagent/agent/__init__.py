"""The LangGraph agent: plan, retrieve, read, verify, synthesize. A library: CLI, API and tasks call it."""

from docagent.agent.answer import Answer, Citation
from docagent.agent.graph import build_graph, run

__all__ = ["Answer", "Citation", "build_graph", "run"]
