"""Settings read DOCAGENT_* variables and derive the embedded-default URLs."""

import pytest
from pydantic import ValidationError

from docagent.settings import Settings


def test_defaults_are_embedded(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCAGENT_HOME", str(tmp_path))
    s = Settings()
    assert s.database_url == f"sqlite:///{tmp_path / 'docagent.db'}"
    assert s.broker_url.startswith("sqla+sqlite:///")
    assert s.vlm_backend == "extractive"
    assert s.files_dir == tmp_path / "files"


def test_env_overrides(monkeypatch):
    monkeypatch.setenv("DOCAGENT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("DOCAGENT_VLM_BACKEND", "openai")
    monkeypatch.setenv("DOCAGENT_MAX_PAGES", "7")
    s = Settings()
    assert (s.database_url, s.vlm_backend, s.max_pages) == ("postgresql+psycopg://u@h/db", "openai", 7)


def test_bad_values_name_the_field(monkeypatch):
    monkeypatch.setenv("DOCAGENT_VLM_BACKEND", "gpt")
    with pytest.raises(ValidationError, match="vlm_backend"):
        Settings()


def test_api_keys_parse_and_reject_malformed():
    assert Settings(api_keys="acme:k1, beta:k2").api_key_pairs() == [("acme", "k1"), ("beta", "k2")]
    with pytest.raises(ValueError, match="tenant:key"):
        Settings(api_keys="acme").api_key_pairs()
