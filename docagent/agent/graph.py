"""The agent as a LangGraph graph, and ``run``: the one call a CLI, an HTTP handler or a task makes.

plan -> retrieve -> read -> verify -(open sub-questions and rounds left)-> retrieve
                                   -(otherwise)-> synthesize -> END
synthesize -(no answer as planned: once, the question asked as one lookup)-> retrieve
"""

from __future__ import annotations

from collections.abc import Callable

from langgraph.graph import END, START, StateGraph

from docagent.agent.answer import Answer, refusal
from docagent.agent.nodes import Limits, Nodes
from docagent.agent.retriever import Retriever
from docagent.agent.state import AgentState, Step
from vlm.backends.base import VLMBackend

# Each round is three nodes; plan and synthesize add two, and a second plan's rounds as many
# again. LangGraph stops a graph past this.
RECURSION_LIMIT = 32


def build_graph(nodes: Nodes, checkpointer=None):  # type: ignore[no-untyped-def]
    g = StateGraph(AgentState)
    g.add_node("plan", nodes.plan)
    g.add_node("retrieve", nodes.retrieve)
    g.add_node("read", nodes.read)
    g.add_node("verify", nodes.verify)
    g.add_node("synthesize", nodes.synthesize)
    g.add_edge(START, "plan")
    g.add_edge("plan", "retrieve")
    g.add_edge("retrieve", "read")
    g.add_edge("read", "verify")
    g.add_conditional_edges("verify", nodes.after_verify, ["retrieve", "synthesize"])
    g.add_conditional_edges("synthesize", nodes.after_synthesize, {"retrieve": "retrieve", "end": END})
    return g.compile(checkpointer=checkpointer)


def run(question: str, retriever: Retriever, backend: VLMBackend, *, k: int = 5,
        on_step: Callable[[Step], None] | None = None, limits: Limits | None = None) -> tuple[Answer, list[Step]]:
    """Answer ``question`` from the collection behind ``retriever``; steps are reported as they end."""
    graph = build_graph(Nodes(retriever, backend, limits or Limits(k=k)))
    steps: list[Step] = []
    answer: Answer | None = None
    for update in graph.stream({"question": question, "k": k, "steps": []}, stream_mode="updates",
                               config={"recursion_limit": RECURSION_LIMIT}):
        for part in update.values():
            for step in part.get("steps", []):
                steps.append(step)
                if on_step is not None:
                    on_step(step)
            answer = part.get("answer", answer)
    return (answer or refusal("the agent ended without an answer")), steps
