"""Key phrases with KeyBERT over sentence-transformers embeddings (all-MiniLM-L6-v2, offline).

Candidates are the noun phrases of the text (rtstt.nlp.phrases: no filler, no bare verbs, variants such as
"release" / "new release" merged); MMR keeps the list diverse, and a phrase whose words are all in one
already chosen ("performance" after "performance work") is skipped. The model loads once and lazily:
`import rtstt` never pulls in torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rtstt.components.runtime import setup_hint
from rtstt.errors import RtsttError
from rtstt.nlp.phrases import near_duplicates, noun_phrases

MIN_WORDS = 12  # fewer words than this give noise, not topics
DOC_WINDOW_WORDS = 150  # MiniLM truncates at 256 word pieces


class KeywordExtractor:
    def __init__(self, model_path: Path | None = None, diversity: float = 0.4) -> None:
        try:
            from keybert import KeyBERT
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise RtsttError(
                f"insights need sentence-transformers and KeyBERT ({exc.name} is missing)",
                setup_hint("insights"),
            ) from exc
        from rtstt.models.nlp_models import sentence_model_path

        path = model_path or sentence_model_path()
        self.model = SentenceTransformer(str(path), device="cpu")
        self._keybert = KeyBERT(model=self.model)
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
            for phrase, vector in zip(new, self._keybert.model.embed(new), strict=True):
                self._embedded[phrase] = np.asarray(vector)
        return np.stack([self._embedded[t] for t in texts])


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
