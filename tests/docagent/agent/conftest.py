"""One ingested template collection (text layer) shared by the agent's graph tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="package")
def reports():
    from vlm.synth.agent_questions import agent_questions
    from vlm.synth.collections import template_collection

    coll = template_collection("company_annual", n_documents=6, seed=7)
    return coll, coll.questions + agent_questions(coll, per_kind=2, seed=7)


@pytest.fixture(scope="package")
def collection(tmp_path_factory: pytest.TempPathFactory, reports):
    from docagent.db.migrate import upgrade
    from docagent.ingest import Ingestor
    from docagent.intake import Upload
    from docagent.settings import Settings

    home: Path = tmp_path_factory.mktemp("agent-home")
    settings = Settings(home=home, ingest_workers=1, warm_idle_s=0)
    upgrade(settings.database_url)
    coll, _ = reports
    ing = Ingestor(settings)
    job, _ = ing.submit("default", "reports", [Upload(d.filename, d.pdf) for d in coll.documents])
    assert all(r.status == "indexed" for r in ing.run_job(job))
    return settings


def centre_inside(bbox: list[float], gold) -> bool:  # type: ignore[no-untyped-def]
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return gold.box.x0 - 1 <= cx <= gold.box.x1 + 1 and gold.box.y0 - 1 <= cy <= gold.box.y1 + 1
