"""What the node tests share: a retriever that hands out fixed crops, and the graph's first
four nodes run in order on a question."""

from __future__ import annotations

from docagent.agent.evidence import Candidate
from docagent.agent.nodes import Nodes


class FakeRetriever:
    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        self.queries: list[tuple[str, int]] = []

    def retrieve(self, query: str, k: int) -> list[Candidate]:
        self.queries.append((query, k))
        return self.candidates[:k]

    def document_text(self, document_id: str) -> str:
        return " ".join(c.crop.text for c in self.candidates if str(c.result.get("document_id")) == document_id)


def run_until_verify(nodes: Nodes, question: str) -> dict:
    state: dict = {"question": question, "k": 3, "steps": []}
    for node in (nodes.plan, nodes.retrieve, nodes.read, nodes.verify):
        update = node(state)
        steps = state["steps"] + update.pop("steps")
        state.update(update, steps=steps)
    return state
