"""How ``docagent ask`` shows an answer on a terminal: the steps, the answer, reasoning, citations."""

from __future__ import annotations

from typing import Any


def print_step(step: dict[str, Any]) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[dim]· {step['node']}: {step['summary'][:200]}[/dim]", highlight=False)


def print_answer(answer: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console()
    style = "bold green" if answer["answerable"] else "bold yellow"
    label = "answer" if answer["answerable"] else "cannot answer"
    console.print(f"[{style}]{label}:[/{style}] {answer['answer']}", highlight=False)
    if answer.get("reasoning"):
        console.print("[bold]reasoning[/bold]")
        for line in answer["reasoning"]:
            console.print(f"  - {line}", highlight=False)
    if answer.get("citations"):
        console.print("[bold]citations[/bold]")
        for i, c in enumerate(answer["citations"], 1):
            box = ", ".join(f"{v:.0f}" for v in c["bbox"])
            console.print(f"  [{i}] {c['filename']} p.{c['page']} {c['kind']} [{box}]  {c['quote'][:120]}",
                          highlight=False)
