"""PyMuPDF's layout model (``pymupdf.layout``), built the way a page worker wants it.

``import pymupdf.layout`` builds the model with ONNX Runtime's defaults (one thread per core,
memory arena off) and hooks it into ``page.get_layout()``. ``install`` builds it again with:

- ``threads`` ONNX Runtime threads per session: page workers already fill the cores.
- ``arena``: the memory arena on keeps the largest allocation seen instead of allocating
  afresh for every page (the image network alone writes a 58 MB feature map per page);
  these models have fixed-size inputs, so what it keeps is bounded.
- ``fuse_prelu``: the image-feature network (``feature_imf1.onnx``, the largest part of the
  model's time) has 26 PRelu nodes, each with a single slope. PRelu with one slope is
  LeakyRelu; ONNX Runtime fuses LeakyRelu into the convolution before it and does not fuse
  PRelu, which then makes 26 extra passes over the feature maps. The outputs move by less
  than 1e-5 (the fused kernel sums in another order; tests/indexing/test_layout_model.py).
- ``table_grids=False`` drops the model's table-grid network, which runs on every table
  region and whose cells ``get_layout()`` never returns (docagent finds cells itself).

``bench/ingest_profile.py --compare`` runs both builds on every page of the real PDFs: the
same regions on every page, and the CPU each costs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np


def install(*, threads: int = 1, arena: bool = True, fuse_prelu: bool = True, table_grids: bool = False) -> None:
    """Rebuild the layout model with these options and route ``page.get_layout()`` to it.
    It changes this process (meant for worker processes)."""
    import onnxruntime as ort
    import pymupdf
    from pymupdf.layout import DocumentLayoutAnalyzer

    original = ort.InferenceSession
    ort.InferenceSession = _session_class(original, threads, arena, fuse_prelu)
    try:
        model = DocumentLayoutAnalyzer.get_model()
    finally:
        ort.InferenceSession = original
    inner = getattr(model, "_model", model)  # MultiProcessWrapper holds the BoxRFDGNN
    if not table_grids and hasattr(inner, "table_grid_extractor"):
        inner.table_grid_extractor = None

    def _get_layout(*args: Any, **kwargs: Any) -> Any:
        return model.predict(*args, **kwargs)

    pymupdf._get_layout = _get_layout


def _session_class(base: type, threads: int, arena: bool, fuse_prelu: bool) -> type:
    class TunedSession(base):  # type: ignore[misc, valid-type]
        def __init__(self, path_or_bytes: Any, sess_options: Any = None, *args: Any, **kwargs: Any) -> None:
            import onnxruntime as ort

            opts = sess_options or ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.enable_cpu_mem_arena = arena
            if fuse_prelu and isinstance(path_or_bytes, str | Path):
                path_or_bytes = prelu_as_leaky_relu(Path(path_or_bytes).read_bytes())
            super().__init__(path_or_bytes, opts, *args, **kwargs)

    return TunedSession


# -- the graph rewrite ---------------------------------------------------------------------------
def prelu_as_leaky_relu(model: bytes) -> bytes:
    """The ONNX model with every single-slope PRelu node turned into LeakyRelu (same function).
    Returns the input unchanged when there is nothing to rewrite."""
    proto = _model_class()()
    proto.ParseFromString(model)
    graph = proto.graph
    slopes = {t.name: _floats(t) for t in graph.initializer}
    replaced = set()
    for node in graph.node:
        slope = slopes.get(node.input[1]) if node.op_type == "PRelu" and len(node.input) == 2 else None
        if slope is None or slope.size != 1:
            continue
        replaced.add(node.input[1])
        del node.input[1]
        node.op_type = "LeakyRelu"
        node.attribute.add(name="alpha", f=float(slope[0]), type=_ATTRIBUTE_FLOAT)
    if not replaced:
        return model
    # Slopes no node reads any more go too (ONNX Runtime would warn about each one).
    used = {name for node in graph.node for name in node.input} | {i.name for i in graph.input}
    keep = [t for t in graph.initializer if t.name in used or t.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    return proto.SerializeToString()


_ATTRIBUTE_FLOAT = 1  # onnx.AttributeProto.FLOAT
_TENSOR_FLOAT = 1  # onnx.TensorProto.FLOAT


def _floats(tensor: Any) -> np.ndarray | None:
    if tensor.data_type != _TENSOR_FLOAT:
        return None
    if tensor.raw_data:
        return np.frombuffer(tensor.raw_data, dtype="<f4")
    return np.asarray(tensor.float_data, dtype=np.float32)


@cache
def _model_class() -> type:
    """A ModelProto class that knows only the fields the rewrite touches, with ONNX's field
    numbers (onnx/onnx.proto); protobuf keeps every other field as it was read. This spares
    a dependency on the ``onnx`` package for one edit."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fdp = descriptor_pb2.FieldDescriptorProto
    one, many = fdp.LABEL_OPTIONAL, fdp.LABEL_REPEATED
    messages = {
        "TensorProto": [("data_type", 2, fdp.TYPE_INT32, one), ("float_data", 4, fdp.TYPE_FLOAT, many),
                        ("name", 8, fdp.TYPE_STRING, one), ("raw_data", 9, fdp.TYPE_BYTES, one)],
        "AttributeProto": [("name", 1, fdp.TYPE_STRING, one), ("f", 2, fdp.TYPE_FLOAT, one),
                           ("type", 20, fdp.TYPE_INT32, one)],
        "NodeProto": [("input", 1, fdp.TYPE_STRING, many), ("op_type", 4, fdp.TYPE_STRING, one),
                      ("attribute", 5, "AttributeProto", many)],
        "ValueInfoProto": [("name", 1, fdp.TYPE_STRING, one)],
        "GraphProto": [("node", 1, "NodeProto", many), ("initializer", 5, "TensorProto", many),
                       ("input", 11, "ValueInfoProto", many)],
        "ModelProto": [("graph", 7, "GraphProto", one)],
    }
    file = descriptor_pb2.FileDescriptorProto(name="docagent_onnx_subset.proto", package="onnx_subset",
                                              syntax="proto2")
    for name, fields in messages.items():
        msg = file.message_type.add(name=name)
        for field_name, number, kind, label in fields:
            field = msg.field.add(name=field_name, number=number, label=label)
            if isinstance(kind, str):
                field.type, field.type_name = fdp.TYPE_MESSAGE, f".onnx_subset.{kind}"
            else:
                field.type = kind
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("onnx_subset.ModelProto"))
