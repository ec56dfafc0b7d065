"""Fixtures for the model tests: one tiny VARCO-architecture checkpoint per test session.

The tokenizer is trained on the built-in corpus plus KorQuAD's Korean text when the shared
data is present, so the vocabulary is realistic (a few thousand pieces) where it can be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

KORQUAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "korquad-v1-dev-part-a.json"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vlm.tiny import build_tiny_checkpoint, squad_corpus

    corpus = squad_corpus(KORQUAD) if KORQUAD.exists() else None
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-varco"), seed=0, corpus=corpus)


@pytest.fixture(scope="session")
def tiny_config(tiny_checkpoint: Path):
    from vlm.config import VLMConfig

    return VLMConfig(
        model=str(tiny_checkpoint), dtype="float32", device_map="cpu",
        local_files_only=True, max_new_tokens=12, batch_size=8,
    )


@pytest.fixture(scope="session")
def tiny_loaded(tiny_config):
    from vlm.loading import load_model

    return load_model(tiny_config)


@pytest.fixture(scope="session")
def tiny_backend(tiny_config, tiny_loaded):
    from vlm.backends.transformers_backend import TransformersBackend

    return TransformersBackend(tiny_config, loaded=tiny_loaded)


def noise_image(width: int, height: int, seed: int = 0) -> Image.Image:
    """A random RGB image (so the vision tower sees something other than a flat colour)."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


@pytest.fixture
def make_image():
    return noise_image
