"""Speaker labels as the installed app gets them: the bundled ONNX GE2E encoder through onnxruntime, the mel
spectrogram in numpy, in a process where torch, resemblyzer and librosa cannot be imported."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import fixture_meta
from tests.frozen_child import run_as_frozen

pytestmark = pytest.mark.integration

BLOCKED = ("torch", "resemblyzer", "librosa")

# What the installed app does, in a child process that looks frozen (tests/frozen_child.py).
SNIPPET = """

    import soundfile as sf
    from rtstt.events import Segment, SpeakerLabels
    from rtstt.stages import SpeakersStage
    from tests.conftest import FIXTURES, fixture_meta

    turns = fixture_meta("conversation")["turns"]
    audio, rate = sf.read(str(FIXTURES / "conversation.flac"), dtype="float32")
    cuts = [audio[int(t["start"] * rate) : int(t["end"] * rate)] for t in turns]

    events = []
    stage = SpeakersStage(events.append)
    started = time.perf_counter()
    stage.start()
    stage.wait_loaded(60)
    loaded = time.perf_counter() - started
    prints = [stage.encoder.embed(cut).tolist() for cut in cuts] if stage.encoder is not None else []
    for i, (t, cut) in enumerate(zip(turns, cuts), 1):
        stage.submit(Segment(t["start"], t["end"], t["text"], id=i), cut)
    stage.finish()
    labels = {}
    for event in events:
        if isinstance(event, SpeakerLabels):
            labels.update(event.labels)

    tried = list(attempts)
    imported = sorted(m for m, v in sys.modules.items() if v is not None and m.split(".")[0] in BLOCKED)
    print(json.dumps({
        "runtime": getattr(stage.encoder, "runtime", ""), "load_s": loaded, "error": str(stage.error or ""),
        "prints": prints, "labels": {str(k): v for k, v in labels.items()}, "imported": imported, "tried": tried,
    }))
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle folder holding the model as the build ships it: exported here where torch is installed,
    else an existing copy (./run.sh's, or the user's)."""
    from rtstt.models.speaker_models import GE2E_ONNX, ge2e_onnx_path

    root = tmp_path_factory.mktemp("bundle")
    if not all(importlib.util.find_spec(m) for m in ("torch", "resemblyzer")):
        found = ge2e_onnx_path()
        if found is None:
            pytest.skip("no torch and resemblyzer to export the ONNX model with, and no exported copy")
        (root / "models" / GE2E_ONNX).parent.mkdir(parents=True)
        (root / "models" / GE2E_ONNX).symlink_to(found, target_is_directory=True)
        return root
    from rtstt.models.ge2e_export import export_ge2e

    export_ge2e(root / "models" / GE2E_ONNX)
    return root


def test_speaker_labels_with_no_torch(bundle: Path, isolated_home: Path):
    result = run_as_frozen(SNIPPET, bundle, BLOCKED)
    assert result["imported"] == [] and result["tried"] == [], result  # never imported, nor even tried
    assert result["error"] == "" and result["runtime"] == "onnx", result

    # the two voices apart: every turn is nearer the mean of its speaker's other turns than the other's
    speakers = [t["speaker"] for t in fixture_meta("conversation")["turns"]]
    prints = np.array(result["prints"], dtype=np.float32)
    assert prints.shape == (len(speakers), 256)
    same, other = [], []
    for i, who in enumerate(speakers):
        own = [j for j, s in enumerate(speakers) if s == who and j != i]
        rest = [j for j, s in enumerate(speakers) if s != who]
        same.append(float(prints[i] @ prints[own].mean(axis=0) / np.linalg.norm(prints[own].mean(axis=0))))
        other.append(float(prints[i] @ prints[rest].mean(axis=0) / np.linalg.norm(prints[rest].mean(axis=0))))
    assert all(s > o for s, o in zip(same, other, strict=True)), (same, other)

    # and the stage labels them so: two labels, each turn with its own speaker's
    labels = result["labels"]
    assert set(labels) == {str(i) for i in range(1, len(speakers) + 1)}, labels
    pairs = {(labels[str(i + 1)], who) for i, who in enumerate(speakers)}
    assert len(pairs) == 2 and len({label for label, _ in pairs}) == 2, pairs
