"""VARCO-VISION through transformers: batched greedy generation, one image per prompt.

One prompt per crop. VARCO-VISION-14B was trained with one image per turn (multi-image input
arrived with VARCO-VISION-2.0), and LLaVA-OneVision's processor treats a prompt with several
images as "multi-image": each image then becomes a single 384x384 tile padded to a square
instead of the AnyRes grid, which loses most of the resolution a document crop needs. Its boxes
are also relative to the one image it saw. So a request with N crops becomes N prompts in the
same batch, and each reply's evidence keeps the index of the crop it came from. Composing the
crops into one image would shrink them and make every box relative to the collage.

Merging a request's replies: the answer text is the first answerable reply in crop order (crops
arrive ranked by retrieval), evidence is gathered from every answerable reply, and a request
with no answerable reply (empty output, or the model declines) is not answerable. Crops without
an image are skipped: the model can only cite what it saw.

Batching: prompts are sorted by their image-token count (AnyRes gives a 1:8 strip and a square
page very different lengths) so a batch pads little; the tokenizer pads on the left; the
processor returns ``image_sizes`` and pads every image's tile stack to the batch maximum, and
the model unpads each image by its own size. Only new tokens are decoded; task tokens
(``<char>``, ``<bbox>``, ...) are kept for the parser, ChatML and pad tokens are dropped.

The helpers :func:`crop_jobs`, :func:`merge_answers`, :func:`prepare_image` and
:func:`clean_reply` are shared with the vLLM backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from vlm.backends.base import GroundedAnswer, VisionRequest, VLMBackend
from vlm.config import VLMConfig
from vlm.loading import LoadedModel, load_model
from vlm.parsing import grounded_answer
from vlm.prompts import qa_prompt, text_prompt

_CHATML_RE = re.compile(r"<\|(?:im_start|im_end|endoftext)\|>")


@dataclass(slots=True)
class CropJob:
    """One prompt: crop ``crop_index`` of request ``request_index``."""

    request_index: int
    crop_index: int
    image: Image.Image
    prompt: str
    max_new_tokens: int


def prepare_image(image: Image.Image, max_side: int | None) -> Image.Image:
    """RGB copy of ``image``, shrunk (aspect kept) so its longer side is at most ``max_side``."""
    img = image.convert("RGB") if image.mode != "RGB" else image.copy()
    if max_side is not None and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
    return img


def crop_jobs(
    requests: Sequence[VisionRequest],
    max_new_tokens_cap: int,
    max_image_side: int | None = None,
    prompt_fn: Callable[..., str] = qa_prompt,
    system: str | None = None,
) -> list[CropJob]:
    """One job per crop that has an image, in request then crop order."""
    jobs: list[CropJob] = []
    for ri, req in enumerate(requests):
        limit = max(1, min(req.max_new_tokens, max_new_tokens_cap))
        prompt = prompt_fn(req.question, req.grounding, system=system)
        for ci, crop in enumerate(req.crops):
            if crop.image is None:
                continue
            jobs.append(CropJob(ri, ci, prepare_image(crop.image, max_image_side), prompt, limit))
    return jobs


def merge_answers(
    requests: Sequence[VisionRequest], jobs: Sequence[CropJob], replies: Sequence[str]
) -> list[GroundedAnswer]:
    """One answer per request from its crops' replies (rules in the module docstring)."""
    if len(jobs) != len(replies):
        raise ValueError(f"{len(jobs)} jobs but {len(replies)} replies")
    by_request: dict[int, list[tuple[int, str]]] = {}
    for job, reply in zip(jobs, replies, strict=True):
        by_request.setdefault(job.request_index, []).append((job.crop_index, reply))
    answers: list[GroundedAnswer] = []
    for ri in range(len(requests)):
        items = sorted(by_request.get(ri, []), key=lambda item: item[0])
        if not items:
            answers.append(GroundedAnswer(text="", answerable=False))
            continue
        parts = [grounded_answer(reply, crop_index=ci) for ci, reply in items]
        good = [p for p in parts if p.answerable]
        raw = items[0][1] if len(items) == 1 else "\n".join(f"[crop {ci}] {r}" for ci, r in items)
        answers.append(GroundedAnswer(
            text=(good[0] if good else parts[0]).text,
            answerable=bool(good),
            evidence=[ev for p in good for ev in p.evidence],
            raw=raw,
        ))
    return answers


def clean_reply(text: str) -> str:
    """Drop ChatML/pad markers a decoder may have left; keep VARCO's task tokens."""
    return _CHATML_RE.sub("", text).strip()


def _batches(order: list[int], size: int) -> list[list[int]]:
    return [order[i : i + size] for i in range(0, len(order), size)]


class TransformersBackend(VLMBackend):
    """Runs a loaded LLaVA-OneVision checkpoint in-process (CPU or CUDA)."""

    name = "transformers"

    def __init__(self, config: VLMConfig | None = None, *, loaded: LoadedModel | None = None) -> None:
        self.config = config or VLMConfig()
        self.loaded: LoadedModel | None = loaded if loaded is not None else load_model(self.config)

    def _model(self) -> LoadedModel:
        if self.loaded is None:
            raise RuntimeError("TransformersBackend is closed")
        return self.loaded

    # -- VLMBackend -------------------------------------------------------------------------

    def answer(self, requests: list[VisionRequest]) -> list[GroundedAnswer]:
        jobs = crop_jobs(requests, self.config.max_new_tokens, self.config.max_image_side,
                         system=self.config.system_prompt)
        replies = self.generate(
            [j.prompt for j in jobs], [j.image for j in jobs], [j.max_new_tokens for j in jobs]
        )
        return merge_answers(requests, jobs, replies)

    def complete(self, prompts: list[str], max_new_tokens: int = 256) -> list[str]:
        limit = max(1, min(max_new_tokens, self.config.max_new_tokens))
        return self.generate([text_prompt(p, system=self.config.system_prompt) for p in prompts], None, [limit] * len(prompts))

    def close(self) -> None:
        self.loaded = None

    # -- generation -------------------------------------------------------------------------

    def _cost(self, prompt: str, image: Image.Image | None) -> int:
        """Rough prompt length, used only to group similar lengths into one batch."""
        from vlm.architecture import num_image_tokens

        if image is None:
            return len(prompt)
        try:
            return num_image_tokens(image.height, image.width, self._model().model.config) + len(prompt)
        except (ValueError, AttributeError, TypeError):  # a config without anyres_max_N geometry
            return image.width * image.height // 196 + len(prompt)

    def generate(
        self,
        prompts: Sequence[str],
        images: Sequence[Image.Image] | None,
        max_new_tokens: Sequence[int],
    ) -> list[str]:
        """Greedy replies (decoded new tokens) for rendered prompts, in input order.

        ``images`` is None for text-only prompts, else one image per prompt (each prompt holds
        one ``<image>``). ``max_new_tokens`` is per prompt; a batch runs to its largest.
        """
        if images is not None and len(images) != len(prompts):
            raise ValueError(f"{len(prompts)} prompts but {len(images)} images")
        if len(max_new_tokens) != len(prompts):
            raise ValueError(f"{len(prompts)} prompts but {len(max_new_tokens)} token limits")
        costs = [self._cost(p, images[i] if images is not None else None) for i, p in enumerate(prompts)]
        order = sorted(range(len(prompts)), key=lambda i: (costs[i], max_new_tokens[i]))
        replies: list[str] = [""] * len(prompts)
        for batch in _batches(order, self.config.batch_size):
            texts = self._generate_batch(
                [prompts[i] for i in batch],
                [images[i] for i in batch] if images is not None else None,
                [max_new_tokens[i] for i in batch],
            )
            for i, text in zip(batch, texts, strict=True):
                replies[i] = text
        return replies

    def _generate_batch(
        self, prompts: list[str], images: list[Image.Image] | None, limits: list[int]
    ) -> list[str]:
        import torch

        lm = self._model()
        ids = lm.token_ids
        kwargs: dict[str, Any] = {"text": prompts, "return_tensors": "pt", "padding": True}
        if images is not None:
            kwargs["images"] = images
        inputs = lm.processor(**kwargs).to(lm.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(lm.dtype)
        with torch.inference_mode():
            out = lm.model.generate(
                **inputs,
                max_new_tokens=max(limits),
                do_sample=False,
                num_beams=1,
                temperature=None,
                top_p=None,
                top_k=None,
                eos_token_id=ids.eos,
                pad_token_id=ids.pad,
            )
        new_tokens = out[:, inputs["input_ids"].shape[1] :].tolist()
        return [self._decode(row[:limit]) for row, limit in zip(new_tokens, limits, strict=True)]

    def _decode(self, token_ids: list[int]) -> str:
        lm = self._model()
        stop = set(lm.token_ids.eos)
        for pos, tid in enumerate(token_ids):
            if tid in stop:
                token_ids = token_ids[:pos]
                break
        strip = lm.token_ids.strip_ids
        kept = [t for t in token_ids if t not in strip]
        text = lm.tokenizer.decode(kept, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        return clean_reply(text)
