"""``vlm.backends.get_backend``: names, options, lazy imports and missing dependencies."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from vlm.backends import (
    BACKEND_NAMES,
    BackendDependencyError,
    UnknownBackendError,
    VisionRequest,
    VLMBackend,
    get_backend,
)
from vlm.backends.base import CropInput
from vlm.backends.extractive import ExtractiveBackend
from vlm.errors import VLMError


def test_backend_names() -> None:
    assert BACKEND_NAMES == ("extractive", "transformers", "vllm", "openai")


@pytest.mark.parametrize("name", ["extractive", "Extractive", " EXTRACTIVE "])
def test_extractive_by_name(name: str) -> None:
    backend = get_backend(name)
    assert isinstance(backend, ExtractiveBackend) and isinstance(backend, VLMBackend)
    ans = backend.answer([VisionRequest("매출액은 얼마인가?", [CropInput(text="매출액은 3,450억 원이다.")])])
    assert ans[0].text == "3,450억 원"


def test_options_reach_the_constructor() -> None:
    backend = get_backend("extractive", min_coverage=0.8, top_sentences=1)
    assert isinstance(backend, ExtractiveBackend)
    assert (backend.min_coverage, backend.top_sentences) == (0.8, 1)
    with pytest.raises(TypeError):
        get_backend("extractive", no_such_option=1)
    with pytest.raises(ValueError, match="min_coverage"):
        get_backend("extractive", min_coverage=2.0)


@pytest.mark.parametrize("name", ["gpt", "", "extractive2", "vllm-server"])
def test_unknown_name_lists_the_valid_ones(name: str) -> None:
    with pytest.raises(UnknownBackendError) as info:
        get_backend(name)
    message = str(info.value)
    assert repr(name) in message
    for valid in BACKEND_NAMES:
        assert valid in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, VLMError)


def test_importing_the_factory_loads_no_model_stack() -> None:
    code = ("import sys; from vlm.backends import get_backend; get_backend('extractive'); "
            "print(sorted(m for m in ('torch', 'transformers', 'vllm', 'openai') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_missing_vllm_names_the_gpu_extra() -> None:
    pytest.importorskip("vlm.backends.vllm_backend")
    with pytest.raises(BackendDependencyError) as info:
        get_backend("vllm")
    assert info.value.install == "docagent[gpu]"
    assert "pip install 'docagent[gpu]'" in str(info.value) and "'vllm'" in str(info.value)
    assert isinstance(info.value, ImportError)


def test_missing_openai_client_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("vlm.backends.openai_backend")
    monkeypatch.delitem(sys.modules, "vlm.backends.openai_backend")
    monkeypatch.setitem(sys.modules, "openai", None)  # makes "import openai" fail
    with pytest.raises(BackendDependencyError) as info:
        get_backend("openai", base_url="http://127.0.0.1:9/v1", model="m")
    assert info.value.module == "openai"
    assert "pip install 'docagent'" in str(info.value)


def test_a_broken_backend_module_is_not_blamed_on_an_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vlm.backends.openai_backend", None)
    with pytest.raises(ImportError) as info:
        get_backend("openai")
    assert not isinstance(info.value, BackendDependencyError)


def test_openai_branch_builds_the_client_backend() -> None:
    module = pytest.importorskip("vlm.backends.openai_backend")
    backend = get_backend("openai", base_url="http://127.0.0.1:9/v1", model="varco", api_key="k")
    try:
        assert isinstance(backend, module.OpenAIBackend)
        assert backend.base_url == "http://127.0.0.1:9/v1" and backend.model == "varco"
    finally:
        backend.close()


@pytest.mark.parametrize(("name", "module_name", "class_name"), [
    ("transformers", "vlm.backends.transformers_backend", "TransformersBackend"),
    ("vllm", "vlm.backends.vllm_backend", "VLLMBackend"),
])
def test_model_branches_pass_the_config_through(monkeypatch: pytest.MonkeyPatch, name: str,
                                                module_name: str, class_name: str) -> None:
    """The branch imports its module lazily and hands ``config=`` to the class (the class is
    replaced by a recorder: building the real one needs a checkpoint or a GPU)."""
    module = pytest.importorskip(module_name)
    config_module = pytest.importorskip("vlm.config")
    seen: dict = {}

    class Recorder(VLMBackend):
        def __init__(self, **kwargs) -> None:
            seen.update(kwargs)

        def answer(self, requests):  # pragma: no cover - not called
            return []

        def complete(self, prompts, max_new_tokens=256):  # pragma: no cover - not called
            return []

    monkeypatch.setattr(module, class_name, Recorder)
    config = config_module.VLMConfig()
    backend = get_backend(name, config=config)
    assert isinstance(backend, Recorder) and seen == {"config": config}
