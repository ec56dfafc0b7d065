"""The graph's nodes: plan -> retrieve -> read -> verify -> synthesize, and the router.

Nodes are methods of ``Nodes``, which holds what they share (the retriever, the backend, the
limits). Each returns a partial state update with one ``Step`` for the log. A generative
backend plans, reads and writes the prose; its output goes through the same checks, and the
extractive reader reads the same crops when the model's reading does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from docagent.agent.evidence import Candidate
from docagent.agent.planner import plan_question, replannable, whole_lookup
from docagent.agent.prompts import accept_prose, parse_plan, plan_prompt, prose_prompt
from docagent.agent.reading import propose, read_series
from docagent.agent.retriever import Retriever
from docagent.agent.sections import read_section
from docagent.agent.state import AgentState, Kind, Op, Reading, Step, SubQuestion
from docagent.agent.synthesis import synthesize
from docagent.agent.verify import check, document_texts
from vlm.backends.base import VLMBackend
from vlm.backends.extractive import ExtractiveBackend

NUMERIC_OPS = frozenset(Op) - {Op.NONE}
# Running headers and footers repeat on every page: never the evidence of an answer. (Captions
# and section headers stay: on scans a body line is often labelled one, measured: bench.ask_accuracy.)
NOT_EVIDENCE = frozenset({"page-header", "page-footer"})
# A series is read from tables and charts only, which a question's words often rank below the
# paragraphs that introduce them (all the more where a scan lost the entity's name): the
# search for one reaches this many times deeper before the rest are set aside.
SERIES_REACH = 5


@dataclass
class Limits:
    k: int = 5  # crops read per sub-question per round
    rounds: int = 2  # retrieve -> read -> verify rounds before a sub-question is given up
    max_calls: int = 32  # model calls per question (each crop read is one)


class Nodes:
    def __init__(self, retriever: Retriever, backend: VLMBackend, limits: Limits | None = None) -> None:
        self.retriever = retriever
        self.backend = backend
        self.limits = limits or Limits()
        self.generative = backend.name != "extractive"
        self.rules = ExtractiveBackend() if self.generative else backend

    # -- plan -----------------------------------------------------------------------------

    def plan(self, state: AgentState) -> dict:
        question = state["question"]
        plan = plan_question(question)
        calls = 0
        if self.generative:
            calls = 1
            text = _safe_complete(self.backend, plan_prompt(question), 256)
            model_plan = parse_plan(text, question, plan)
            plan = model_plan or plan
        subs = "; ".join(s.text for s in plan.subs)
        return {"plan": plan, "calls": state.get("calls", 0) + calls, "attempts": 0, "tried": {},
                "readings": {}, "steps": [Step("plan", f"{plan.kind.value}/{plan.op.value} ({plan.source}): {subs}",
                                               {"kind": plan.kind.value, "op": plan.op.value, "source": plan.source,
                                                "subquestions": [s.text for s in plan.subs]})]}

    # -- retrieve -------------------------------------------------------------------------

    def open_subs(self, state: AgentState) -> list[SubQuestion]:
        readings = state.get("readings", {})
        return [s for s in state["plan"].subs if not (s.id in readings and readings[s.id].supported)]

    def retrieve(self, state: AgentState) -> dict:
        k = state.get("k") or self.limits.k
        depth = k * (state.get("attempts", 0) + 1)
        tried = state.get("tried", {})
        found: dict[int, list[Candidate]] = {}
        for sub in self.open_subs(state):
            seen = set(tried.get(sub.id, []))
            reach = depth * SERIES_REACH if sub.series else depth
            hits = [c for c in self.retriever.retrieve(sub.text, min(reach, 200))
                    if c.crop_id not in seen and c.result["kind"] not in NOT_EVIDENCE]
            if sub.series:
                hits = [c for c in hits if c.crop.table is not None]
            found[sub.id] = hits[:k]
        summary = "; ".join(f"[{i}] " + ", ".join(f"{c.result['filename']} p.{c.result['page']} {c.result['kind']}"
                                                  for c in cs[:3]) for i, cs in found.items())
        return {"candidates": found, "steps": [Step("retrieve", summary, {
            "crops": {i: [c.crop_id for c in cs] for i, cs in found.items()}})]}

    # -- read -----------------------------------------------------------------------------

    def read(self, state: AgentState) -> dict:
        calls = state.get("calls", 0)
        proposals: dict[int, list[Reading]] = {}
        for sub in self.open_subs(state):
            cands = state.get("candidates", {}).get(sub.id, [])
            if sub.series:
                proposals[sub.id] = [r for c in cands if (r := read_series(sub, c)) is not None]
                continue
            budget = max(0, self.limits.max_calls - calls)
            model = []
            if self.generative and budget:
                model = _safe_propose(self.backend, sub, cands[:budget])
                calls += min(len(cands), budget)
            proposals[sub.id] = model + propose(self.rules, sub, cands)
            section = read_section(sub, cands)  # last: only where no span of a crop holds
            if section is not None:
                proposals[sub.id].append(section)
        summary = "; ".join(f"[{i}] " + (repr(ps[0].text) if ps else "nothing") for i, ps in proposals.items())
        return {"proposals": proposals, "calls": calls, "steps": [Step("read", summary, {})]}

    # -- verify ---------------------------------------------------------------------------

    def verify(self, state: AgentState) -> dict:
        plan = state["plan"]
        numeric = plan.op in NUMERIC_OPS and plan.kind != Kind.LIST
        readings = dict(state.get("readings", {}))
        tried = {i: list(v) for i, v in state.get("tried", {}).items()}
        by_crop = {c.crop_id: c for cs in state.get("candidates", {}).values() for c in cs}
        documents = {doc: f"{text} {self.retriever.document_text(doc)}"
                     for doc, text in document_texts(list(by_crop.values())).items()}
        rejected: list[str] = []
        for sub in self.open_subs(state):
            for reading in state.get("proposals", {}).get(sub.id, []):
                c = by_crop.get(reading.crop_id)
                why = (check(reading, sub, c, numeric, documents.get(str(c.result.get("document_id")), ""))
                       if c is not None else "crop unknown")
                if not why:
                    reading.supported = True
                    readings[sub.id] = reading
                    break
                rejected.append(f"[{sub.id}] {why}")
                if sub.id not in readings:
                    readings[sub.id] = Reading(sub.id, note=why)
            tried.setdefault(sub.id, []).extend(c.crop_id for c in state.get("candidates", {}).get(sub.id, []))
        ok = sum(r.supported for r in readings.values())
        summary = f"{ok}/{len(plan.subs)} supported" + (f"; rejected: {'; '.join(rejected[:4])}" if rejected else "")
        return {"readings": readings, "tried": tried, "attempts": state.get("attempts", 0) + 1,
                "steps": [Step("verify", summary, {"rejected": rejected})]}

    @staticmethod
    def after_synthesize(state: AgentState) -> Literal["retrieve", "end"]:
        """Back to retrieval once, where the plan found nothing and the question is asked whole."""
        return "end" if "answer" in state else "retrieve"

    def after_verify(self, state: AgentState) -> Literal["retrieve", "synthesize"]:
        if self.open_subs(state) and state.get("attempts", 0) < self.limits.rounds:
            return "retrieve"
        return "synthesize"

    # -- synthesize -----------------------------------------------------------------------

    def synthesize(self, state: AgentState) -> dict:
        answer = synthesize(state["question"], state["plan"], state.get("readings", {}))
        if not answer.answerable and not state.get("replanned") and replannable(state["plan"], state["question"]):
            plan = whole_lookup(state["question"])
            return {"plan": plan, "replanned": True, "attempts": 0, "tried": {}, "readings": {},
                    "steps": [Step("synthesize", f"no answer as planned ({answer.reason}); asked as one lookup",
                                   {"citations": 0, "replanned": True})]}
        calls = state.get("calls", 0)
        if self.generative and answer.answerable and calls < self.limits.max_calls:
            calls += 1
            prose = accept_prose(_safe_complete(self.backend, prose_prompt(
                state["question"], answer.answer, answer.reasoning), 128), answer.answer)
            if prose:
                answer.reasoning.append(prose)
        summary = answer.answer if answer.answerable else f"cannot answer: {answer.reason}"
        return {"answer": answer, "calls": calls, "steps": [Step("synthesize", summary, {
            "citations": len(answer.citations)})]}


def _safe_complete(backend: VLMBackend, prompt: str, max_new_tokens: int) -> str:
    """A completion, or "" when the backend fails: the rules take over, never an exception."""
    try:
        out = backend.complete([prompt], max_new_tokens=max_new_tokens)
        return out[0] if out else ""
    except Exception:  # noqa: BLE001 - model failures of any kind fall back to the rules
        return ""


def _safe_propose(backend: VLMBackend, sub: SubQuestion, cands: list[Candidate]) -> list[Reading]:
    try:
        readings = propose(backend, sub, cands)
    except Exception:  # noqa: BLE001 - as above
        return []
    for r in readings:
        r.rule = f"model:{r.rule}" if r.rule else "model"
    return readings
