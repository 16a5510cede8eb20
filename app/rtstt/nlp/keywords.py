"""Key phrases with KeyBERT over sentence-transformers embeddings (all-MiniLM-L6-v2, offline).

MMR keeps the list diverse ("new release", "database move", "mobile performance" rather than three
spellings of one topic). The model loads once and lazily: `import rtstt` never pulls in torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rtstt.components.runtime import setup_hint
from rtstt.errors import RtsttError

MIN_WORDS = 12  # fewer words than this give noise, not topics


class KeywordExtractor:
    def __init__(self, model_path: Path | None = None, diversity: float = 0.5) -> None:
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
        found_candidates = candidates(text)
        if not found_candidates:
            return ()
        found = self._keybert.extract_keywords(
            text,
            candidates=found_candidates,
            use_mmr=True,
            diversity=self.diversity,
            top_n=top_n,
            word_embeddings=self._candidate_embeddings(found_candidates),
        )
        return tuple((phrase, round(float(score), 4)) for phrase, score in found)

    def _candidate_embeddings(self, phrases: list[str]) -> np.ndarray:
        """Embeddings of the candidates, each computed once per session: an update re-embeds only the new
        words, so the stage's CPU time stops growing with the meeting (and stays off the transcript's cores)."""
        new = [p for p in phrases if p not in self._embedded]
        if new:
            if len(self._embedded) > 50_000:
                self._embedded.clear()
                new = phrases
            for phrase, vector in zip(new, self._keybert.model.embed(new), strict=True):
                self._embedded[phrase] = np.asarray(vector)
        return np.stack([self._embedded[p] for p in phrases])


def candidates(text: str) -> list[str]:
    """Single words, plus two-word phrases said at least twice: without a part-of-speech tagger, a pair
    that recurs is a real phrase ("search page"), while one-off pairs are mostly accidents ("database took")."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(ngram_range=(1, 2), stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{3,}\b")
    counts = vectorizer.fit_transform([text]).toarray()[0]
    names = vectorizer.get_feature_names_out()
    return [n for n, c in zip(names, counts, strict=True) if " " not in n or c >= 2]
