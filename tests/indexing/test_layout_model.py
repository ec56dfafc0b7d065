"""The layout model as page workers build it: the PRelu rewrite keeps the function, and the
tuned build finds the regions the shipped one finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pymupdf
import pymupdf.layout
import pytest

from indexing import layout_model

MODELS = Path(pymupdf.layout.__file__).parent / "resources" / "onnx"
IMAGE_NETWORK = MODELS / "feature_imf1.onnx"


def op_types(model: bytes) -> list[str]:
    proto = layout_model._model_class()()
    proto.ParseFromString(model)
    return [n.op_type for n in proto.graph.node]


def session(model: bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def test_single_slope_prelu_becomes_leaky_relu_with_the_same_outputs():
    original = IMAGE_NETWORK.read_bytes()
    rewritten = layout_model.prelu_as_leaky_relu(original)
    before, after = op_types(original), op_types(rewritten)
    assert before.count("PRelu") == 26 and "PRelu" not in after
    assert after.count("LeakyRelu") == 26 and len(after) == len(before)
    image = np.random.default_rng(7).random((1, 1, 300, 300), dtype=np.float32)
    a, b = session(original), session(rewritten)
    name = a.get_inputs()[0].name
    for x, y in zip(a.run(None, {name: image}), b.run(None, {name: image}), strict=True):
        assert x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-5)


def test_a_model_without_prelu_comes_back_unchanged():
    model = (MODELS / "table_grid_model_v4_ep.onnx").read_bytes()
    assert "PRelu" not in op_types(model)
    assert layout_model.prelu_as_leaky_relu(model) is model


@pytest.fixture
def restore_layout_hook(monkeypatch):
    monkeypatch.setattr(pymupdf, "_get_layout", pymupdf._get_layout)


def test_the_tuned_build_finds_the_shipped_regions(restore_layout_hook, table_doc, korean_pdf):
    pages = [pymupdf.open(stream=d, filetype="pdf")[0] for d in (table_doc.pdf, korean_pdf.pdf)]
    layout_model.install(arena=False, fuse_prelu=False, table_grids=True)
    shipped = [pymupdf._get_layout(p) for p in pages]
    layout_model.install()
    assert [pymupdf._get_layout(p) for p in pages] == shipped
    assert any(row[4] == "table" for row in shipped[0])
