"""The ``openai`` backend: VARCO-VISION behind any OpenAI-compatible chat-completions endpoint.

Typical server: ``vllm serve NCSOFT/VARCO-VISION-14B-HF`` (base URL ``http://HOST:8000/v1``).
Requests go through the official ``openai`` client with greedy decoding (temperature 0) and
``stop=["<|im_end|>"]``. Each crop travels as a PNG ``data:`` URL, downscaled when its longer
side exceeds ``max_image_side``; the user text carries VARCO's task tokens (``<gro>\\n...``).

One image per call. VARCO-VISION-14B was trained on one image per turn, and each grounded box
is normalised to the image it was drawn on; so a request with several crops makes one call per
crop (crops without an image are skipped), and the replies are merged: evidence keeps the
``crop_index`` of the crop it came from, the answer is answerable if any crop's reply is, and
its text joins the distinct answerable replies in crop order. (Composing the crops into one
image would need boxes mapped back out of the collage and would shrink each crop.)

All calls of a batch (every crop of every request, or every prompt) run on a bounded thread pool
(``concurrency``); results come back in input order. Endpoint failures raise
``BackendUnavailableError`` (unreachable, timeout, 5xx, 429, auth) or ``BackendRequestError``
(400/413/422), both naming the URL and the reason; the client's own retries
(``max_retries``, with backoff) happen first.

Replies are parsed with :func:`vlm.parsing.grounded_answer`: a reply that is empty or whose
first sentence says it cannot answer is not answerable (see :func:`vlm.parsing.is_unanswerable`).

vLLM drops special tokens from replies by default, and ``<bbox>`` and friends are special
tokens of the VARCO tokenizer, so ``extra_body`` asks for ``skip_special_tokens: false`` (and no
spaces around them). Pass ``extra_body={}`` for a server that rejects unknown fields.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import openai

from vlm.backends.base import CropInput, GroundedAnswer, VisionRequest, VLMBackend
from vlm.errors import BackendError, BackendRequestError, BackendUnavailableError
from vlm.parsing import UNANSWERABLE_MARKERS, grounded_answer
from vlm.prompts import openai_messages, qa_content
from vlm.tokens import IM_END

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
DEFAULT_MODEL = "NCSOFT/VARCO-VISION-14B-HF"
DEFAULT_EXTRA_BODY: dict[str, Any] = {
    "skip_special_tokens": False,
    "spaces_between_special_tokens": False,
}
REQUEST_ERROR_STATUSES = frozenset({400, 413, 422})
"""HTTP statuses that mean "this request is wrong" rather than "the server cannot serve"."""


class OpenAIBackend(VLMBackend):
    """VARCO-VISION over an OpenAI-compatible HTTP endpoint (see the module docstring)."""

    name = "openai"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 2,
        temperature: float = 0.0,
        max_image_side: int | None = 2304,
        concurrency: int = 8,
        system: str | None = None,
        extra_body: dict[str, Any] | None = None,
        unanswerable_markers: tuple[str, ...] = UNANSWERABLE_MARKERS,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if max_image_side is not None and max_image_side < 1:
            raise ValueError(f"max_image_side must be positive or None, got {max_image_side}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.temperature = temperature
        self.max_image_side = max_image_side
        self.concurrency = concurrency
        self.system = system
        self.extra_body = dict(DEFAULT_EXTRA_BODY if extra_body is None else extra_body)
        self.unanswerable_markers = unanswerable_markers
        # A local vLLM needs no key, but the client insists on one.
        key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=key, timeout=timeout, max_retries=max_retries
        )
        self._closed = False
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/chat/completions"

    # -- VLMBackend -----------------------------------------------------------------------

    def answer(self, requests: list[VisionRequest]) -> list[GroundedAnswer]:
        jobs: list[tuple[int, int, CropInput]] = [
            (ri, ci, crop)
            for ri, req in enumerate(requests)
            for ci, crop in enumerate(req.crops)
            if crop.image is not None
        ]

        def call(job: tuple[int, int, CropInput]) -> str:
            ri, _, crop = job
            req = requests[ri]
            messages = openai_messages(
                qa_content(req.question, req.grounding),
                crop.image,
                system=self.system,
                max_side=self.max_image_side,
            )
            return self._chat(messages, req.max_new_tokens)

        replies = self._map(call, jobs)
        per_request: list[list[tuple[int, str]]] = [[] for _ in requests]
        for (ri, ci, _), raw in zip(jobs, replies, strict=True):
            per_request[ri].append((ci, raw))
        return [self._merge(parts) for parts in per_request]

    def complete(self, prompts: list[str], max_new_tokens: int = 256) -> list[str]:
        def call(prompt: str) -> str:
            reply = self._chat(openai_messages(prompt, system=self.system), max_new_tokens)
            return reply.split(IM_END, 1)[0].strip()

        return self._map(call, list(prompts))

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._client.close()

    # -- internals ------------------------------------------------------------------------

    def _merge(self, parts: list[tuple[int, str]]) -> GroundedAnswer:
        """One answer from the replies about each crop of a request (see the module docstring)."""
        if not parts:
            return GroundedAnswer(text="", answerable=False, evidence=[], raw="")
        answers = [grounded_answer(raw, ci, self.unanswerable_markers) for ci, raw in parts]
        if len(answers) == 1:
            return answers[0]
        chosen = [a for a in answers if a.answerable] or answers
        texts: list[str] = []
        for a in chosen:
            if a.text and a.text not in texts:
                texts.append(a.text)
        return GroundedAnswer(
            text="\n".join(texts),
            answerable=chosen[0].answerable,
            evidence=[e for a in chosen for e in a.evidence],
            raw="\n\n".join(a.raw for a in answers),
        )

    def _map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` on at most ``concurrency`` threads; results in input order.

        The first failure cancels the calls not yet started and is raised.
        """
        if len(items) <= 1 or self.concurrency == 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            futures: list[Future[R]] = [pool.submit(fn, item) for item in items]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def _chat(self, messages: list[dict[str, Any]], max_tokens: int) -> str:
        """One chat completion; endpoint failures become ``BackendError`` subclasses."""
        url = self.endpoint
        try:
            resp = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                max_tokens=max_tokens,
                stop=[IM_END],
                extra_body=self.extra_body or None,
            )
        except openai.APITimeoutError as exc:
            raise BackendUnavailableError(url, f"no reply within {self.timeout:g} s") from exc
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise BackendUnavailableError(url, f"cannot connect ({cause})") from exc
        except openai.APIStatusError as exc:
            cls = (
                BackendRequestError
                if exc.status_code in REQUEST_ERROR_STATUSES
                else BackendUnavailableError
            )
            raise cls(url, _status_reason(exc), exc.status_code) from exc
        except openai.APIError as exc:
            raise BackendUnavailableError(url, f"unexpected reply ({exc})") from exc
        choices = getattr(resp, "choices", None)
        if not choices:
            raise BackendError(url, f"reply has no choices: {str(resp)[:200]}")
        return choices[0].message.content or ""


def _status_reason(exc: openai.APIStatusError) -> str:
    """The server's own error message when it sent one, else the status line."""
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        if msg:
            return str(msg)[:500]
    text = getattr(exc.response, "text", "") or str(exc)
    return text.strip()[:500] or f"HTTP {exc.status_code}"
