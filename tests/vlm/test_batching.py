"""The batching backend gathers concurrent calls into batches and returns each its own."""

from __future__ import annotations

import threading

import pytest

from vlm.backends.base import GroundedAnswer, VisionRequest, VLMBackend
from vlm.backends.batching import BatchingBackend


class Recorder(VLMBackend):
    name = "recorder"

    def __init__(self, fail: bool = False) -> None:
        self.sizes: list[int] = []
        self.fail = fail

    def answer(self, requests):  # type: ignore[no-untyped-def]
        self.sizes.append(len(requests))
        if self.fail:
            raise RuntimeError("model fell over")
        return [GroundedAnswer(text=r.question.upper(), answerable=True) for r in requests]

    def complete(self, prompts, max_new_tokens=256):  # type: ignore[no-untyped-def]
        self.sizes.append(len(prompts))
        return [f"{p}:{max_new_tokens}" for p in prompts]


def _many(backend: BatchingBackend, n: int, per_call: int = 1) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    barrier = threading.Barrier(n)

    def one(i: int) -> None:
        barrier.wait()
        reqs = [VisionRequest(question=f"q{i}-{j}", crops=[]) for j in range(per_call)]
        out[i] = [a.text for a in backend.answer(reqs)]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out


def test_concurrent_reads_share_batches_and_each_gets_its_own_answers():
    inner = Recorder()
    out = _many(BatchingBackend(inner, window_s=0.2, max_batch=8), 16)
    assert out == {i: [f"Q{i}-0"] for i in range(16)}
    assert sum(inner.sizes) == 16 and max(inner.sizes) <= 8
    assert len(inner.sizes) < 16  # batched, not one call each


def test_calls_larger_than_the_remaining_room_are_not_split_and_all_finish():
    inner = Recorder()
    out = _many(BatchingBackend(inner, window_s=0.05, max_batch=4), 7, per_call=3)
    assert out == {i: [f"Q{i}-{j}" for j in range(3)] for i in range(7)}
    assert sum(inner.sizes) == 21


def test_a_lone_call_waits_no_longer_than_the_window():
    inner = Recorder()
    backend = BatchingBackend(inner, window_s=0.01)
    assert [a.text for a in backend.answer([VisionRequest(question="x", crops=[])])] == ["X"]
    assert backend.complete(["a", "b"], max_new_tokens=7) == ["a:7", "b:7"]


def test_an_inner_error_reaches_every_caller_of_the_batch():
    backend = BatchingBackend(Recorder(fail=True), window_s=0.01)
    with pytest.raises(RuntimeError, match="fell over"):
        backend.answer([VisionRequest(question="x", crops=[])])
