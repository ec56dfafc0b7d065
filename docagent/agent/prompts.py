"""Prompts for a generative backend (plan, prose) and the parsers that check its output.

The model's output is never trusted as is: a plan must be JSON of known kinds and operations
with at least one sub-question, and prose must contain the number the code computed. Anything
else is ``None`` and the rule-based path is taken.
"""

from __future__ import annotations

import json
import re

from docagent.agent.state import Kind, Op, Plan, SubQuestion

PLAN_PROMPT = """You plan how to answer a question about documents (Korean or English).
Kinds: {kinds}. Operations: {ops}.
Reply with JSON only: {{"kind": "...", "op": "...", "subquestions": [{{"text": "...", "label": "...", "entity": "", "series": false}}]}}
Each sub-question asks for one value (or one whole series when "series" is true), in the question's language.
Question: {question}
"""

PROSE_PROMPT = """Write a one-sentence answer to the question from the result, in the question's language.
Keep the number and unit exactly as given.
Question: {question}
Result: {answer}
Reasoning:
{reasoning}
Answer:"""


def plan_prompt(question: str) -> str:
    return PLAN_PROMPT.format(kinds=", ".join(k.value for k in Kind), ops=", ".join(o.value for o in Op),
                              question=question)


def parse_plan(text: str, question: str, fallback: Plan) -> Plan | None:
    """The model's plan, or None when it is not a usable one."""
    m = re.search(r"\{.*\}", text or "", re.S)
    if not m:
        return None
    try:
        data = json.loads(m.group(0))
        kind, op = Kind(data["kind"]), Op(data.get("op", "none"))
        raw = data["subquestions"]
        subs = [SubQuestion(i, str(s["text"]).strip(), str(s.get("label", "")), str(s.get("entity", "")),
                            series=bool(s.get("series", False))) for i, s in enumerate(raw)]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not subs or len(subs) > 6 or any(not s.text for s in subs):
        return None
    if kind in (Kind.ARITHMETIC, Kind.COMPARE) and len(subs) < 2 and not subs[0].series:
        return None
    # Years the rules found stay with the sub-questions that name them.
    for s, r in zip(subs, fallback.subs, strict=False):
        s.years = r.years if any(str(y) in s.text for y in r.years) else ()
    return Plan(kind, op, subs, fallback.threshold, source="model")


def prose_prompt(question: str, answer: str, reasoning: list[str]) -> str:
    return PROSE_PROMPT.format(question=question, answer=answer, reasoning="\n".join(reasoning))


def accept_prose(text: str, answer: str) -> str | None:
    """The model's sentence when it keeps the computed answer's number, else None."""
    line = " ".join((text or "").split())
    number = re.search(r"\d[\d,]*(?:\.\d+)?", answer)
    if not line or len(line) > 400 or "<" in line:
        return None
    if number and number.group(0) not in line:
        return None
    return line
