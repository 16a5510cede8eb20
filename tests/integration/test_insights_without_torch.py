"""Key phrases as the installed app gets them: the bundled ONNX all-MiniLM-L6-v2 through onnxruntime, in a
process where torch, transformers, sentence-transformers and KeyBERT cannot be imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frozen_child import run_as_frozen

pytestmark = pytest.mark.integration

BLOCKED = ("torch", "transformers", "sentence_transformers", "keybert")

# What the installed app does, in a child process that looks frozen (tests/frozen_child.py).
SNIPPET = """

    from rtstt.events import Keywords, Segment
    from rtstt.nlp.keywords import KeywordExtractor
    from rtstt.stages import InsightsStage
    from tests.conftest import fixture_meta

    meta = fixture_meta("conversation")
    started = time.perf_counter()
    extractor = KeywordExtractor()
    loaded = time.perf_counter() - started
    phrases = extractor.extract(meta["text"], top_n=8)

    events = []
    stage = InsightsStage(events.append, interval_s=1.0)
    stage.start()
    for i, t in enumerate(meta["turns"], 1):
        stage.submit(Segment(t["start"], t["end"], t["text"], id=i, speaker=t["speaker"]))
    stage.finish()
    session = [e for e in events if isinstance(e, Keywords) and e.scope == "session"]

    tried = list(attempts)
    try:
        import torch  # noqa: F401
        blocked = False
    except ImportError:
        blocked = True
    imported = sorted(m for m, v in sys.modules.items() if v is not None and m.split(".")[0] in BLOCKED)
    print(json.dumps({
        "backend": extractor.backend, "load_s": loaded, "phrases": phrases, "imported": imported, "tried": tried,
        "blocked": blocked, "stage_error": str(stage.error or ""),
        "stage_phrases": session[-1].phrases if session else [],
    }))
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle folder holding the model as the build ships it: exported here where torch is installed,
    else an existing copy (a build, or an earlier export)."""
    from rtstt.models.nlp_models import ONNX_MINILM, onnx_minilm_path, sentence_model_path

    root = tmp_path_factory.mktemp("bundle")
    try:
        import torch  # noqa: F401
    except ImportError:
        found = onnx_minilm_path()
        if found is None:
            pytest.skip("no torch to export the ONNX model with, and no exported copy")
        (root / "models" / ONNX_MINILM).parent.mkdir(parents=True)
        (root / "models" / ONNX_MINILM).symlink_to(found, target_is_directory=True)
        return root
    from rtstt.models.onnx_export import export_minilm

    export_minilm(sentence_model_path(), root / "models" / ONNX_MINILM)
    return root


def test_key_phrases_with_no_torch(bundle: Path, isolated_home: Path):
    result = run_as_frozen(SNIPPET, bundle, BLOCKED)
    assert result["blocked"] and result["imported"] == [], result  # torch was never imported ...
    assert result["tried"] == [], result  # ... nor even tried
    assert result["backend"] == "onnx"
    phrases = [p for p, _ in result["phrases"]]
    assert len(phrases) == 8 and all(0 < s <= 1 for _, s in result["phrases"]), phrases
    assert {"release", "search page", "performance work", "older devices"} <= set(phrases), phrases
    assert not {"went", "weekly", "new", "okay", "thanks", "week"} & set(phrases), phrases
    assert result["stage_error"] == "" and len(result["stage_phrases"]) >= 5, result
    assert not list((isolated_home / "data" / "models").glob("onnx/*"))  # used the bundled copy, exported nothing
