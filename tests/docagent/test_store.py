"""The content-addressed store: idempotent, atomic, and confined to its root."""

import pytest

from docagent.store import FileStore, sha256_hex


def test_put_get_is_content_addressed(tmp_path):
    store = FileStore(tmp_path)
    digest = store.put("매출액".encode())
    assert digest == sha256_hex("매출액".encode())
    assert store.get(digest) == "매출액".encode()
    assert store.put("매출액".encode()) == digest
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_paths_only_from_hex_digests(tmp_path):
    store = FileStore(tmp_path)
    for bad in ("../../etc/passwd", "ab" * 40, "x" * 64):
        with pytest.raises(ValueError):
            store.path(bad)


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    store = FileStore(tmp_path)

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr("docagent.store.os.replace", boom)
    with pytest.raises(OSError):
        store.put(b"data")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
