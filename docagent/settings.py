"""Settings: one pydantic-settings class, every field overridable as ``DOCAGENT_<NAME>``.

The field names are part of the contract (DESIGN.md); add fields, never rename them.
Defaults are the embedded default: SQLite and a server-less broker under ``HOME``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VLMBackendName = Literal["extractive", "transformers", "vllm", "openai"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCAGENT_", env_file=".env", extra="ignore")

    # storage
    home: Path = Field(Path("./var"), description="Data directory: database, files, indexes.")
    database_url: str = Field("", description="SQLAlchemy URL; default: SQLite under HOME.")
    broker_url: str = Field("", description="Celery broker; default: SQLite transport under HOME.")
    result_backend: str = Field("", description="Celery result backend; default: none (job state "
                                "lives in the database).")

    # model
    vlm_backend: VLMBackendName = "extractive"
    vlm_model: str = "NCSOFT/VARCO-VISION-14B-HF"
    vlm_dtype: str = "auto"
    vlm_device_map: str = "auto"
    vlm_attn_implementation: str | None = None
    vlm_quantization: Literal["4bit", "8bit"] | None = None
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_api_key: str = "EMPTY"

    # retrieval
    embedder: str = Field("hash-ngram", description="'hash-ngram' (offline) or a sentence-transformers path/hub id.")
    search_k: int = 5

    # auth and limits
    api_keys: str = Field("", description="tenant:key pairs separated by commas.")
    max_upload_mb: int = Field(200, gt=0)
    max_pages: int = Field(2000, gt=0)
    max_image_pixels: int = Field(200_000_000, gt=0, description="Largest image (w*h) accepted.")
    max_archive_members: int = Field(10_000, gt=0)
    rate_limit_per_minute: int = Field(600, ge=0, description="Requests per API key per minute "
                                       "(per API process); 0 = unlimited.")
    query_timeout_s: float = Field(60.0, gt=0, description="How long a waited query waits for its answer.")
    job_lease_s: float = Field(60.0, gt=1, description="A running job whose worker has not renewed "
                               "its lease for this long is taken over by another worker.")
    worker_max_tasks_per_child: int = Field(50, gt=0, description="Tasks before a worker "
                                            "process is replaced.")
    worker_max_memory_mb: int = Field(4096, gt=0, description="Resident memory after which a "
                                      "worker process is replaced (checked after each task).")
    vlm_batch_window_ms: float = Field(20.0, ge=0, description="How long the GPU worker waits "
                                       "to gather concurrent reads into one batch.")
    vlm_max_batch: int = Field(8, gt=0, description="Most reads in one model batch.")
    batch_root: Path | None = Field(None, description="Server folder under which "
                                    "POST /collections/{id}/batches may read folders; unset = none.")

    # ingestion
    render_dpi: int = Field(144, ge=36, le=600)
    ocr_dpi: int = Field(300, ge=72, le=600)
    ocr_languages: str = "kor+eng"
    page_images: Literal["on_demand", "stored"] = Field(
        "on_demand", description="'on_demand': page and crop images are drawn from the stored "
        "original when asked for (nothing drawn or stored at ingest); 'stored': drawn at ingest "
        "and kept in the file store.")
    ingest_workers: int = Field(0, ge=0, description="Page-processing processes; 0 = one per core.")

    # the warm process that answers CLI searches (docagent.warm)
    warm_idle_s: float = Field(300.0, ge=0, description="Seconds the warm process waits for the "
                               "next request before it exits; 0 = no warm process.")

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @model_validator(mode="after")
    def _derived_urls(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'docagent.db'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.home / 'broker.db'}"
        return self

    @property
    def files_dir(self) -> Path:
        return self.home / "files"

    @property
    def index_dir(self) -> Path:
        return self.home / "indexes"

    def api_key_pairs(self) -> list[tuple[str, str]]:
        """Parse ``API_KEYS`` ("tenant:key,tenant2:key2") into pairs; malformed items raise."""
        pairs = []
        for item in filter(None, (s.strip() for s in self.api_keys.split(","))):
            tenant, sep, key = item.partition(":")
            if not sep or not tenant or not key:
                raise ValueError(f"DOCAGENT_API_KEYS item {item!r} is not 'tenant:key'")
            pairs.append((tenant, key))
        return pairs


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
