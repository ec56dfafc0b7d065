"""Batches for the model: AnyRes images through the processor, labels on assistant tokens only.

The processor expands each ``<image>`` into the image's feature tokens; nothing here truncates
(``data`` already dropped samples over the limit). Labels are ``-100`` everywhere except the
assistant's replies and the ``<|im_end|>`` that closes each (so the model learns to stop):
image tokens, user turns, ChatML headers and padding never count. TRL's and transformers'
collators mask only padding, which trains the model to predict its own image tokens.

``pack=True`` lays a batch's samples end to end in one row with no padding, positions
restarting at each sample and no attention mask: transformers then builds a block-diagonal
causal mask from the positions (``find_packed_sequence_indices``), for eager, SDPA and flash
attention alike, so packed samples never see each other.

DPO batches hold the chosen sequences first and the rejected ones after, each pair sharing
its image.
"""

from __future__ import annotations

from typing import Any

import torch

from vlm.tokens import IM_END, IM_START
from vlm.train.data import Sample

IGNORE = -100


def assistant_mask(ids: list[int], header: list[int], end_id: int) -> list[bool]:
    """True on every token of an assistant reply and its closing ``<|im_end|>``."""
    mask = [False] * len(ids)
    i, n = 0, len(header)
    while i <= len(ids) - n:
        if ids[i:i + n] != header:
            i += 1
            continue
        j = i + n
        while j < len(ids) and ids[j] != end_id:
            mask[j] = True
            j += 1
        if j < len(ids):
            mask[j] = True  # the <|im_end|> closing the reply
        i = j + 1
    return mask


class Collator:
    """Turns :class:`Sample` lists into model inputs (see the module docstring)."""

    def __init__(self, processor: Any, *, max_image_side: int, pack: bool = False,
                 dpo: bool = False) -> None:
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.max_image_side = max_image_side
        self.pack = pack
        self.dpo = dpo
        self.header = self.tokenizer(f"{IM_START}assistant\n", add_special_tokens=False)["input_ids"]
        self.end_id = self.tokenizer.convert_tokens_to_ids(IM_END)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.end_id
        self.image_id = processor.tokenizer.convert_tokens_to_ids(processor.image_token)

    def encode(self, text: str, image: Any) -> dict[str, Any]:
        """One sequence: ids, labels, and its image's pixel values and size (if any)."""
        kwargs: dict[str, Any] = {"text": [text], "return_tensors": "pt"}
        if image is not None:
            kwargs["images"] = [image]
        enc = self.processor(**kwargs)
        ids = enc["input_ids"][0].tolist()
        mask = assistant_mask(ids, self.header, self.end_id)
        labels = [t if m else IGNORE for t, m in zip(ids, mask, strict=True)]
        out: dict[str, Any] = {"input_ids": ids, "labels": labels}
        if image is not None:
            out["pixel_values"] = enc["pixel_values"][0]
            out["image_sizes"] = enc["image_sizes"][0]
        return out

    def __call__(self, samples: list[Sample]) -> dict[str, Any]:
        seqs = []
        for s in samples:
            image = s.load_image(self.max_image_side)
            seqs.append(self.encode(s.text, image))
        if self.dpo:
            for s in samples:
                seqs.append(self.encode(s.rejected_text, s.load_image(self.max_image_side)))
        batch = self._packed(seqs) if self.pack and not self.dpo else self._padded(seqs)
        images = [s for s in seqs if "pixel_values" in s]
        if images:
            batch["pixel_values"] = _pad_patches([s["pixel_values"] for s in images])
            batch["image_sizes"] = torch.stack([s["image_sizes"] for s in images])
        return batch

    def _padded(self, seqs: list[dict[str, Any]]) -> dict[str, Any]:
        """Right padding (training has no generation, and the loss ignores pad labels)."""
        width = max(len(s["input_ids"]) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(seqs), width), IGNORE, dtype=torch.long)
        attn = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, s in enumerate(seqs):
            n = len(s["input_ids"])
            ids[row, :n] = torch.tensor(s["input_ids"])
            labels[row, :n] = torch.tensor(s["labels"])
            attn[row, :n] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": attn}

    @staticmethod
    def _packed(seqs: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [t for s in seqs for t in s["input_ids"]]
        labels = [t for s in seqs for t in s["labels"]]
        positions = [p for s in seqs for p in range(len(s["input_ids"]))]
        return {"input_ids": torch.tensor([ids]), "labels": torch.tensor([labels]),
                "position_ids": torch.tensor([positions])}


def _pad_patches(pixel_values: list[torch.Tensor]) -> torch.Tensor:
    """Stack per-image ``(patches, 3, H, W)`` tensors, zero-padding the patch axis: the model
    reads each image's real patch count from ``image_sizes``."""
    most = max(p.shape[0] for p in pixel_values)
    out = pixel_values[0].new_zeros((len(pixel_values), most, *pixel_values[0].shape[1:]))
    for i, p in enumerate(pixel_values):
        out[i, : p.shape[0]] = p
    return out
