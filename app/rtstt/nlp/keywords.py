"""Key phrases: the noun phrases of the text ranked by their all-MiniLM-L6-v2 similarity to it (KeyBERT's
method: embed the document and the candidates, cosine, MMR), offline.

The embeddings come from onnxruntime over an ONNX export of the model (rtstt.nlp.onnx_encoder: no torch, so
the installed app has key phrases from its first start); from source the export is made once, on first use,
when torch is installed. sentence-transformers is the fallback when neither the export nor torch is there.
Candidates are the noun phrases of the text (rtstt.nlp.phrases: no filler, no bare verbs, variants such as
"release" / "new release" merged); MMR keeps the list diverse, and a phrase whose words are all in one
already chosen ("performance" after "performance work") is skipped. The model loads once and lazily:
`import rtstt` never pulls in onnxruntime or torch.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rtstt.components.runtime import setup_hint
from rtstt.errors import RtsttError
from rtstt.nlp.phrases import near_duplicates, noun_phrases

log = logging.getLogger(__name__)

MIN_WORDS = 12  # fewer words than this give noise, not topics
DOC_WINDOW_WORDS = 150  # MiniLM truncates at 256 word pieces


class KeywordExtractor:
    """`model_path`: a folder with an ONNX export (model.onnx, tokenizer.json) or a sentence-transformers
    model folder; by default the bundled or exported ONNX all-MiniLM-L6-v2, else the packaged model."""

    def __init__(self, model_path: Path | None = None, diversity: float = 0.4, threads: int = 1) -> None:
        self.backend, self._encode = _load_encoder(model_path, threads)
        self.diversity = diversity
        self._embedded: dict[str, np.ndarray] = {}

    def extract(self, text: str, top_n: int = 8) -> tuple[tuple[str, float], ...]:
        if len(text.split()) < MIN_WORDS:
            return ()
        phrases = noun_phrases(text)
        if not phrases:
            return ()
        names = [p.text for p in phrases]
        doc = self._document_embedding(text)
        found = _mmr(doc, self._embeddings(names), [p.lemmas for p in phrases], top_n, self.diversity)
        return tuple((names[i], round(score, 4)) for i, score in found)

    def _document_embedding(self, text: str) -> np.ndarray:
        """The word-weighted mean of the embeddings of consecutive windows of the text: MiniLM reads 256
        word pieces, so one embedding of a long session would only see its first two minutes. Windows start
        at fixed word offsets, so a growing transcript re-embeds only its last window."""
        words = text.split()
        windows = [" ".join(words[i : i + DOC_WINDOW_WORDS]) for i in range(0, len(words), DOC_WINDOW_WORDS)]
        vectors = self._embeddings(windows)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        weights = np.array([len(w.split()) for w in windows], dtype=float)
        return weights @ vectors / weights.sum()

    def _embeddings(self, texts: list[str]) -> np.ndarray:
        """Embeddings, each computed once per session: an update re-embeds only the new phrases, so the
        stage's CPU time stops growing with the meeting (and stays off the transcript's cores)."""
        new = list(dict.fromkeys(t for t in texts if t not in self._embedded))
        if new:
            if len(self._embedded) > 50_000:
                self._embedded.clear()
                new = list(dict.fromkeys(texts))
            for phrase, vector in zip(new, self._encode(new), strict=True):
                self._embedded[phrase] = np.asarray(vector)
        return np.stack([self._embedded[t] for t in texts])


Encoder = Callable[[list[str]], np.ndarray]


def _load_encoder(model_path: Path | None, threads: int) -> tuple[str, Encoder]:
    """("onnx" | "sentence-transformers", texts -> embeddings): ONNX whenever the model is there or can be
    exported, sentence-transformers only when not."""
    from rtstt.nlp.onnx_encoder import OnnxSentenceEncoder, is_onnx_encoder_folder

    if model_path is not None and is_onnx_encoder_folder(Path(model_path)):
        return "onnx", OnnxSentenceEncoder(Path(model_path), threads=threads).encode
    folder = _onnx_minilm() if model_path is None else None
    if folder is not None:
        return "onnx", OnnxSentenceEncoder(folder, threads=threads).encode
    return "sentence-transformers", _sentence_transformers(model_path)


def _onnx_minilm() -> Path | None:
    """The ONNX all-MiniLM-L6-v2 folder: bundled, or exported earlier, or exported now (needs torch)."""
    from rtstt.models.nlp_models import onnx_minilm_path, onnx_minilm_user_path, sentence_model_path

    folder = onnx_minilm_path()
    if folder is not None or not all(_installed(m) for m in ("torch", "transformers")):
        return folder
    from rtstt.models.onnx_export import export_minilm

    try:
        return export_minilm(sentence_model_path(), onnx_minilm_user_path())
    except Exception as exc:  # a failed export costs speed, not key phrases: sentence-transformers still works
        log.warning("could not export the key-phrase model to ONNX (%s); using sentence-transformers", exc)
        return None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install, or a module object without a spec
        return False


def _sentence_transformers(model_path: Path | None) -> Encoder:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise RtsttError(
            f"insights need the ONNX key-phrase model or sentence-transformers ({exc.name} is missing)",
            setup_hint("insights"),
        ) from exc
    from rtstt.models.nlp_models import sentence_model_path

    model = SentenceTransformer(str(model_path or sentence_model_path()), device="cpu")
    return lambda texts: model.encode(texts, convert_to_numpy=True, show_progress_bar=False)


def _mmr(
    doc: np.ndarray, vectors: np.ndarray, lemmas: list[frozenset[str]], top_n: int, diversity: float
) -> list[tuple[int, float]]:
    """Maximal marginal relevance (as KeyBERT's), skipping near-duplicates of a chosen phrase; returns
    (index, cosine similarity to the document) best first."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    relevance = unit @ (doc / max(float(np.linalg.norm(doc)), 1e-12))
    redundancy = np.full(len(lemmas), -np.inf)  # the highest similarity to a chosen phrase
    chosen: list[int] = []
    pool = np.arange(len(lemmas))
    while pool.size and len(chosen) < top_n:
        gains = (1 - diversity) * relevance[pool] - diversity * redundancy[pool] if chosen else relevance[pool]
        best = int(pool[int(np.argmax(gains))])
        chosen.append(best)
        redundancy = np.maximum(redundancy, unit @ unit[best])
        pool = np.array([i for i in pool if i != best and not near_duplicates(lemmas[i], lemmas[best])], dtype=int)
    return [(i, float(relevance[i])) for i in chosen]


def candidates(text: str) -> list[str]:
    """The key-phrase candidates of `text`: its noun phrases, one surface form per group of variants."""
    return [p.text for p in noun_phrases(text)]
