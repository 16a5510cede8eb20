"""Words to expect: names and product terms given with --vocabulary are heard as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rtstt.audio.sources import FileSource
from rtstt.cli.common import vocabulary_from
from rtstt.config import Settings
from rtstt.events import Final
from rtstt.pipeline import Engine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
META = json.loads((FIXTURES / "names.json").read_text())


def names_heard(backend, vocabulary: str) -> list[str]:
    settings = Settings().with_overrides(stt__model="tiny.en", stt__vocabulary=vocabulary)
    engine = Engine(settings, FileSource(FIXTURES / "names.flac"), backend)
    finals: list[Final] = []
    engine.subscribe(lambda e: finals.append(e) if isinstance(e, Final) else None)
    engine.run()
    words = set(re.findall(r"[\w']+", " ".join(f.segment.text for f in finals)))
    return [name for name in META["names"] if name in words]


def test_names_given_as_vocabulary_are_spelled_right(whisper_backend):
    try:
        without = names_heard(whisper_backend, "")
        with_words = names_heard(whisper_backend, ", ".join(META["names"]))
        assert whisper_backend.vocabulary == ", ".join(META["names"])  # this run's words, on the shared model
    finally:
        whisper_backend.vocabulary = ""
    assert len(with_words) >= 6, with_words
    assert len(with_words) >= len(without) + 3, (without, with_words)


def test_vocabulary_from_words_or_a_file(tmp_path: Path):
    assert vocabulary_from(" Siobhan,Kubernetes , ") == "Siobhan, Kubernetes"
    listing = tmp_path / "words.txt"
    listing.write_text("Siobhan\nAoife, Grafana\n\n")
    assert vocabulary_from(str(listing)) == "Siobhan, Aoife, Grafana"
    assert vocabulary_from(None) is None
