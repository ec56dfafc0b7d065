"""Embedders: the offline hash-ngram default and sentence-transformers models (tiny, no network)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexing.embedders import (
    HASH_NGRAM,
    EmbedderError,
    EmbedderLoadError,
    HashNgramEmbedder,
    get_embedder,
)

SENTENCES = [
    "회사의 매출액은 작년보다 크게 증가했다.",
    "서울의 인구는 계속 줄어드는 추세이다.",
    "세종대왕은 훈민정음을 창제하였다.",
    "Hybrid search fuses BM25 and dense vectors.",
]


def digest(vectors: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()).hexdigest()


def test_hash_vectors_are_unit_float32_of_the_declared_dim() -> None:
    embedder = get_embedder(HASH_NGRAM)
    assert isinstance(embedder, HashNgramEmbedder)
    assert (embedder.name, embedder.dim) == ("hash-ngram", 1024)
    vectors = embedder.encode(SENTENCES + [""])
    assert vectors.shape == (5, 1024) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:4], axis=1), 1.0, atol=1e-5)
    assert not vectors[4].any()  # a blank text has no features
    assert np.array_equal(embedder.encode_query(SENTENCES[0]), vectors[0])
    assert get_embedder(" hash-ngram ") is embedder  # one instance per process


def test_hash_vectors_are_identical_in_another_process() -> None:
    here = digest(HashNgramEmbedder().encode(SENTENCES))
    code = (
        "import sys, hashlib, numpy as np\n"
        "from indexing.embedders import HashNgramEmbedder\n"
        "v = HashNgramEmbedder().encode(sys.argv[1:])\n"
        "print(hashlib.sha256(np.ascontiguousarray(v, dtype=np.float32).tobytes()).hexdigest())\n"
    )
    # A different hash seed would change Python's hash(); the vectors must not change.
    env = {"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code, *SENTENCES],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == here


def test_paraphrase_with_other_particles_beats_an_unrelated_sentence() -> None:
    embedder = HashNgramEmbedder()
    query = embedder.encode_query("회사 매출액이 작년에 비해 크게 늘었다")
    paraphrase, unrelated = embedder.encode(
        ["작년보다 회사의 매출액은 크게 증가하였습니다.", "오늘 부산의 날씨는 맑고 따뜻하다."]
    )
    assert float(query @ paraphrase) > 0.3
    assert float(query @ paraphrase) > float(query @ unrelated) + 0.2


def test_non_default_parameters_change_the_name() -> None:
    assert HashNgramEmbedder(dim=2048).name == "hash-ngram-d2048-m2-b1-t1"
    with pytest.raises(EmbedderError):
        HashNgramEmbedder(dim=4)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) with a WordPiece vocabulary trained here."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    base = tmp_path_factory.mktemp("tiny-st")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        SENTENCES * 4, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials)
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[(t, tok.token_to_id(t)) for t in ("[CLS]", "[SEP]")],
    )
    hf_dir = base / "bert"
    BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    ).save_pretrained(hf_dir)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=64)
    pooling = Pooling(transformer.get_embedding_dimension(), "mean")
    out = base / "st"
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(out))
    return out


def test_sentence_transformers_model_loads_from_a_path_and_encodes(tiny_model_dir: Path) -> None:
    embedder = get_embedder(str(tiny_model_dir), device="cpu")
    assert embedder.name == str(tiny_model_dir) and embedder.dim == 32
    vectors = embedder.encode(SENTENCES, batch_size=2)
    assert vectors.shape == (4, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.encode_query(SENTENCES[2])
    assert query.shape == (32,) and np.allclose(query, vectors[2], atol=1e-5)
    assert embedder.encode([]).shape == (0, 32)


def test_bad_specs_give_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EmbedderLoadError, match="no model directory") as missing:
        get_embedder(str(tmp_path / "no-such-model"))
    assert "hash-ngram" in str(missing.value)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "config.json").write_text("{not json")
    with pytest.raises(EmbedderLoadError, match="not a loadable sentence-transformers model"):
        get_embedder(str(tmp_path / "junk"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on an air-gapped machine: fail fast, no retries
    with pytest.raises(EmbedderLoadError, match="not in the local Hugging Face cache") as offline:
        get_embedder("no-such-org/no-such-model-xyz")
    assert "hash-ngram" in str(offline.value)
    with pytest.raises(ValueError, match="empty embedder spec"):
        get_embedder("  ")
