"""``ask``: a question over one tenant's collection, answered by the agent (read-only).

The backend is the configured one (``DOCAGENT_VLM_BACKEND``), built once per process; the
index is the cached one of ``docagent.indexes``. Reads never migrate or create anything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from docagent.agent.answer import Answer
from docagent.agent.graph import run
from docagent.agent.retriever import CollectionRetriever
from docagent.agent.state import Step
from docagent.db.migrate import require_current
from docagent.db.session import session_scope
from docagent.search import validate_text
from docagent.settings import Settings
from docagent.store import FileStore
from docagent.vlm_backend import backend_from_settings
from vlm.backends.base import VLMBackend

MAX_QUESTION_CHARS = 1000
MAX_K = 20


@lru_cache(maxsize=2)
def _backend(settings_key: tuple) -> VLMBackend:
    return backend_from_settings(Settings(**dict(settings_key)))


def configured_backend(settings: Settings) -> VLMBackend:
    fields = ("vlm_backend", "vlm_model", "vlm_dtype", "vlm_device_map", "vlm_attn_implementation",
              "vlm_quantization", "openai_base_url", "openai_api_key")
    return _backend(tuple((f, getattr(settings, f)) for f in fields))


def validate_question(question: str, k: int) -> str:
    return validate_text(" ".join(question.split()), k, noun="question",
                         max_chars=MAX_QUESTION_CHARS, max_k=MAX_K)


def ask(settings: Settings, tenant_name: str, collection_name: str, question: str, k: int = 5,
        on_step: Callable[[Step], None] | None = None, backend: VLMBackend | None = None
        ) -> tuple[Answer, list[Step]]:
    question = validate_question(question, k)
    require_current(settings.database_url)
    backend = backend or configured_backend(settings)
    images = None
    if backend.name != "extractive":  # PyMuPDF is loaded only for a backend that reads pixels
        from docagent.images import PageImages

        images = PageImages(FileStore(settings.files_dir))
    with session_scope(settings.database_url) as s:
        retriever = CollectionRetriever(s, settings, tenant_name, collection_name, images)
        return run(question, retriever, backend, k=k, on_step=on_step)
