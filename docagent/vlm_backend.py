"""Build the configured VLM backend from settings (``DOCAGENT_VLM_BACKEND`` and friends)."""

from __future__ import annotations

from PIL import Image

from docagent.settings import Settings
from indexing.geometry import Box, CropFrame, Space
from vlm.backends import get_backend
from vlm.backends.base import CropInput, VLMBackend
from vlm.config import VLMConfig

IMAGE_DPI = 144.0  # an image given on its own is read as if rendered at this resolution


def vlm_config(settings: Settings) -> VLMConfig:
    return VLMConfig(
        model=settings.vlm_model, dtype=settings.vlm_dtype, device_map=settings.vlm_device_map,
        attn_implementation=settings.vlm_attn_implementation, quantization=settings.vlm_quantization,
    )


def backend_from_settings(settings: Settings) -> VLMBackend:
    """The backend ``settings.vlm_backend`` names; missing extras raise a clear error."""
    match settings.vlm_backend:
        case "transformers" | "vllm":
            return get_backend(settings.vlm_backend, config=vlm_config(settings))
        case "openai":
            return get_backend("openai", base_url=settings.openai_base_url,
                               model=settings.vlm_model, api_key=settings.openai_api_key)
        case name:
            return get_backend(name)


def crop_from_image(image: Image.Image, ocr_languages: str | None = None) -> CropInput:
    """A crop for a standalone image; with ``ocr_languages`` its words are read by OCR too
    (the extractive backend answers from words, the others look at the pixels)."""
    image = image.convert("RGB")
    scale = 72.0 / IMAGE_DPI
    frame = CropFrame(Box(0, 0, image.width * scale, image.height * scale, Space.PAGE), image.size)
    crop = CropInput(image=image, frame=frame, kind="picture")
    if ocr_languages:
        from indexing.ocr import ocr_image

        result = ocr_image(image, IMAGE_DPI, languages=ocr_languages)
        crop.text, crop.words, crop.kind = result.text, result.words, "text"
    return crop
