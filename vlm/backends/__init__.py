"""VLM backends and the factory that picks one by name.

``get_backend(name, **options)`` imports only the backend it builds, so the CPU default
(``extractive``) never pulls in torch, vLLM or an HTTP client. Options go to the backend's
constructor unchanged: ``transformers`` and ``vllm`` take ``config=VLMConfig(...)``; ``openai``
takes ``base_url``, ``model``, ``api_key`` ...; ``extractive`` takes ``min_coverage`` and
``top_sentences``.
"""

from __future__ import annotations

from typing import Any

from vlm.backends.base import CropInput, Evidence, GroundedAnswer, VisionRequest, VLMBackend
from vlm.errors import VLMError

BACKEND_NAMES: tuple[str, ...] = ("extractive", "transformers", "vllm", "openai")

# What to install when a backend's import fails: the package that provides the module.
_INSTALL_FOR_MODULE = {
    "vllm": "docagent[gpu]", "bitsandbytes": "docagent[gpu]", "accelerate": "docagent[gpu]",
    "torch": "docagent", "torchvision": "docagent", "transformers": "docagent",
    "openai": "docagent", "kiwipiepy": "docagent",
}
_INSTALL_FOR_BACKEND = {"extractive": "docagent", "transformers": "docagent[gpu]",
                        "vllm": "docagent[gpu]", "openai": "docagent"}
# Our own packages: an import error there is a defect, not a missing extra.
_OWN_PACKAGES = ("vlm", "indexing", "docagent", "workers")

__all__ = [
    "BACKEND_NAMES", "BackendDependencyError", "CropInput", "Evidence", "GroundedAnswer",
    "UnknownBackendError", "VLMBackend", "VisionRequest", "get_backend",
]


class UnknownBackendError(VLMError, ValueError):
    """The configured backend name is not one of ``BACKEND_NAMES``."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown VLM backend {name!r}; valid names: {', '.join(BACKEND_NAMES)}")


class BackendDependencyError(VLMError, ImportError):
    """A backend needs a package that is not installed; the message says what to install."""

    def __init__(self, backend: str, module: str | None, detail: str) -> None:
        self.backend = backend
        self.module = module
        top = (module or "").split(".")[0]
        self.install = _INSTALL_FOR_MODULE.get(top, _INSTALL_FOR_BACKEND.get(backend, "docagent"))
        what = f"the {top!r} package" if top else "an optional package"
        super().__init__(
            f"the {backend!r} VLM backend needs {what}, which is not installed ({detail}); "
            f"install it with: pip install '{self.install}'", name=module)


def get_backend(name: str, **options: Any) -> VLMBackend:
    """Build the backend called ``name`` (case and surrounding spaces ignored).

    Raises ``UnknownBackendError`` for a name outside ``BACKEND_NAMES`` and
    ``BackendDependencyError`` when the backend's optional dependency is missing, whether
    its import or its constructor finds that out.
    """
    key = name.strip().lower()
    try:
        match key:
            case "extractive":
                from vlm.backends.extractive import ExtractiveBackend

                return ExtractiveBackend(**options)
            case "transformers":
                from vlm.backends.transformers_backend import TransformersBackend

                return TransformersBackend(**options)
            case "vllm":
                from vlm.backends.vllm_backend import VLLMBackend

                return VLLMBackend(**options)
            case "openai":
                from vlm.backends.openai_backend import OpenAIBackend

                return OpenAIBackend(**options)
            case _:
                raise UnknownBackendError(name)
    except BackendDependencyError:
        raise
    except ImportError as exc:
        # a constructor's own check re-raises the failed import as its cause
        module = exc.name or getattr(exc.__cause__, "name", None)
        if module is not None and module.split(".")[0] in _OWN_PACKAGES:
            raise  # a broken install of docagent itself: say so, do not blame an extra
        if module is None:  # a constructor's own check: find the package in its message
            module = next((m for m in _INSTALL_FOR_MODULE if f"'{m}'" in str(exc)), None)
        raise BackendDependencyError(key, module, str(exc)) from exc
