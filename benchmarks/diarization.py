"""Diarization benchmark: how well RTSTT's speaker labels match who really spoke, on two-voice dialogues
and on real meeting excerpts.

    python benchmarks/diarization.py [--backend ge2e|pyannote] [--pyannote-model DIR] [--threshold 0.75]
                                     [--speakers N] [--sweep 0.5,0.6,0.7] [--dialogues standup,quickfire]
                                     [--ami trn01,trn07] [--replay] [--realtime] [--out FILE]

Audio: three synthesized dialogues (piper's male joe voice + festival's female SLT HTS voice, made with the
fixture script's own synthesis and timeline code; cached in tests/fixtures/cache/) with different turn
patterns (balanced, interview with long answers and backchannels, quick short answers), plus the committed
tests/fixtures/conversation.flac; and the five 30 s AMI meeting excerpts in ../shared/data/ami (2-4 real
people, overlapping speech; reference `ami.rttm`, scored on 0-30 s). Each runs end to end like `rtstt
transcribe FILE --speakers`: FileSource in fast mode -> Engine (VAD, Whisper tiny.en int8, the speaker stage)
-> segments with their final labels.

DER (pyannote.metrics, optimal label mapping) with a no-score collar of 0.25 s on each side of every
reference turn boundary (NIST md-eval's `-c 0.25`; pyannote.metrics' `collar=0.5` is the total width).
Also reported: the same DER with oracle labels (each segment gets the true speaker it overlaps most): the
floor that the segmentation alone sets, so `der - oracle_der` is the error of the labelling itself;
`confusion_covered`: confusion as a share of the reference speech the transcript's segments cover (total
minus missed); speakers found against the reference's count; `uncertain`: the stage said it could not
tell the voices apart with confidence.
`--segments reference` measures the labelling alone: the reference turns are the segments (no Whisper),
embedded and labelled by the real speaker stage.
`--realtime` replays each file at the speed of speech (FileSource realtime=True), as the window hears a
meeting: the transcript then finalizes short clauses of 1-6 words, which the speaker stage groups into
speaker units (rtstt.stages.SpeakersStage); it takes the audio's length in wall time, and its segmentation
varies from run to run with the CPU's load. Its prints are stored as NAME.realtime.
Every run stores its segments and voice prints in tests/fixtures/cache/diarization_prints/; `--replay`
scores the real SpeakersStage on those (no re-transcription: only the labelling is measured), and
`--sweep` replays them at other thresholds. Writes benchmarks/results/diarization.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CACHE = FIXTURES / "cache"
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(FIXTURES))

import make_fixtures as fx  # noqa: E402  (the fixture script: voices, levels, timeline)

from rtstt.audio.sources import FileSource  # noqa: E402
from rtstt.config import Settings  # noqa: E402
from rtstt.events import Final, Segment, SpeakerLabels  # noqa: E402
from rtstt.model_cache import load_backend  # noqa: E402
from rtstt.pipeline import Engine  # noqa: E402

COLLAR_S = 0.25  # each side of a reference boundary
AMI = REPO.parent / "shared" / "data" / "ami"
AMI_NAMES = ("trn01", "trn02", "trn03", "trn07", "trn08")
AMI_SCORED = (0.0, 30.0)  # the annotated range of each excerpt
PRINTS = CACHE / "diarization_prints"

Turns = tuple[tuple[str, tuple[str, ...]], ...]  # (speaker, sentences); S1 = piper (male), S2 = festival (female)

STANDUP: Turns = (
    ("S1", ("Morning, let's get started with the daily standup.",)),
    ("S2", ("Sure, I can go first if that works for everyone.",)),
    ("S1", ("Go ahead.",)),
    ("S2", ("Yesterday I finished the export to Word documents and fixed two bugs in the subtitle writer.",)),
    ("S1", ("Nice, did the timestamps line up with the audio this time?",)),
    ("S2", ("They did, I checked them against three recordings from last week.",)),
    ("S1", ("Great. Anything blocking you today?",)),
    ("S2", ("Only the code review for the settings dialog, it has been waiting since Monday.",)),
    ("S1", ("I will look at it right after this meeting.",)),
    ("S2", ("Thanks, that would help a lot.",)),
    (
        "S1",
        (
            "For my part, I spent most of yesterday on the microphone selection screen.",
            "It now remembers the last device and warns when the input level is too low.",
        ),
    ),
    ("S2", ("What happens if the device is unplugged in the middle of a session?",)),
    ("S1", ("The recording pauses and a banner asks the user to pick another device.",)),
    ("S2", ("And the words that were already transcribed stay on the screen?",)),
    ("S1", ("Yes, nothing is lost.",)),
    ("S2", ("Perfect. Should we tell the support team about the change?",)),
    ("S1", ("Good idea, I will write them a short note this afternoon.",)),
    ("S2", ("Then I think we are done for today.",)),
    ("S1", ("Agreed. Thanks everyone, talk to you tomorrow.",)),
)

INTERVIEW: Turns = (
    ("S2", ("Welcome to the show, and thank you for taking the time to talk with us today.",)),
    ("S1", ("Thank you for having me, I am glad to be here.",)),
    ("S2", ("Let's start at the beginning. How did the project get started?",)),
    (
        "S1",
        (
            "It started about three years ago as a small tool for my own meetings.",
            "I wanted notes that I could search later, without sending my recordings to a server.",
            "A few friends asked for a copy, and it slowly grew from there.",
        ),
    ),
    ("S2", ("I see.",)),
    (
        "S1",
        (
            "The first version was really slow, to be honest.",
            "It needed almost a minute to transcribe one minute of speech on my old laptop.",
        ),
    ),
    ("S2", ("And today?",)),
    (
        "S1",
        (
            "Today it runs faster than real time on an ordinary office computer.",
            "Most of that came from smaller models and from being careful about when to do the expensive work.",
        ),
    ),
    ("S2", ("Right. What was the hardest problem along the way?",)),
    (
        "S1",
        (
            "Telling the speakers apart was harder than the transcription itself.",
            "Two people with similar voices, short answers, and people talking over each other all make it hard.",
        ),
    ),
    ("S2", ("Interesting.",)),
    ("S1", ("We still work on it every week.",)),
    ("S2", ("What would you tell someone who wants to try it for the first time?",)),
    (
        "S1",
        (
            "Start with a short recording of a meeting you know well.",
            "Then read the transcript and fix the names, and you will quickly see what it does well.",
        ),
    ),
    ("S2", ("Okay. One last question. What comes next?",)),
    (
        "S1",
        (
            "Better summaries, and support for more languages.",
            "Many of our users speak German or Spanish at work, so that is high on the list.",
        ),
    ),
    ("S2", ("Sounds great. Thank you so much for coming.",)),
    ("S1", ("Thank you, it was a pleasure.",)),
)

QUICKFIRE: Turns = (
    ("S1", ("Did you get the tickets for Friday?",)),
    ("S2", ("Yes.",)),
    ("S1", ("Both of them?",)),
    ("S2", ("Both, and the seats are next to each other.",)),
    ("S1", ("Great. What time does it start?",)),
    ("S2", ("Eight o'clock.",)),
    ("S1", ("Should we eat before?",)),
    ("S2", ("Sure, maybe around six.",)),
    ("S1", ("Italian or Thai?",)),
    ("S2", ("Thai, please.",)),
    ("S1", ("Okay. I will book a table.",)),
    ("S2", ("For two?",)),
    ("S1", ("For three, my brother might come along.",)),
    ("S2", ("Oh, nice. Does he like Thai food?",)),
    ("S1", ("He likes everything.",)),
    ("S2", ("Good.",)),
    ("S1", ("Can you pick me up at the station?",)),
    ("S2", ("At what time?",)),
    ("S1", ("Half past five.",)),
    ("S2", ("No problem.",)),
    ("S1", ("Thanks. Should I bring anything?",)),
    ("S2", ("Just a warm jacket, it gets cold after the show.",)),
    ("S1", ("Good point.",)),
    ("S2", ("And don't forget that the tickets are on my phone, not yours.",)),
    ("S1", ("Right, then I will stay close to you.",)),
    ("S2", ("By the way, did you hear back about the new apartment?",)),
    ("S1", ("Not yet.",)),
    ("S2", ("When do they decide?",)),
    ("S1", ("Next Tuesday, I hope.",)),
    ("S2", ("Fingers crossed.",)),
    ("S1", ("Thanks. Oh, and one more thing.",)),
    ("S2", ("What is it?",)),
    ("S1", ("Could you bring back my umbrella?",)),
    ("S2", ("Sure, I will bring it on Friday.",)),
    ("S1", ("Perfect. See you then.",)),
    ("S2", ("See you.",)),
)

# name -> (turns, pauses between turns in seconds, what the pattern tests)
DIALOGUES: dict[str, tuple[Turns, tuple[float, ...], str]] = {
    "standup": (STANDUP, (0.7, 0.5, 0.9, 0.6, 1.0, 0.45, 0.8), "balanced one-sentence turns"),
    "interview": (INTERVIEW, (0.8, 0.4, 1.0, 0.5, 0.6, 0.9), "long answers, short backchannels"),
    "quickfire": (QUICKFIRE, (0.35, 0.3, 0.45, 0.25, 0.4), "short answers, quick turn-taking"),
}


# -- audio ---------------------------------------------------------------------------------------------------


def _spec_hash(turns: Turns, gaps: tuple[float, ...]) -> str:
    source = Path(fx.__file__).read_bytes()  # the synthesis code is part of what the audio depends on
    return hashlib.sha256(json.dumps([turns, gaps]).encode() + source).hexdigest()[:16]


def dialogue(name: str) -> tuple[Path, dict[str, Any]]:
    """The dialogue's audio and reference turns, synthesized once into tests/fixtures/cache/."""
    turns, gaps, pattern = DIALOGUES[name]
    audio_path, meta_path = CACHE / f"dialogue_{name}.flac", CACHE / f"dialogue_{name}.json"
    digest = _spec_hash(turns, gaps)
    if audio_path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta.get("spec") == digest:
            return audio_path, meta
    print(f"synthesizing {name} ...", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        audio, timeline = fx.build_turns(turns, gaps, Path(tmp))
    fx.write_audio(audio_path, audio)
    meta = {"audio": audio_path.name, "pattern": pattern, "spec": digest, "duration": fx.r3(len(audio) / fx.SR)}
    meta["turns"] = timeline
    fx.write_json(meta_path, meta)
    return audio_path, meta


def ami_excerpts(names: list[str]) -> list[tuple[str, Path, dict[str, Any]]]:
    """The AMI excerpts with their reference turns from ami.rttm (SPEAKER file 1 start duration ... who ...)."""
    turns: dict[str, list[dict[str, Any]]] = {}
    for line in (AMI / "ami.rttm").read_text(encoding="utf-8").splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "SPEAKER":
            start, dur = float(f[3]), float(f[4])
            turns.setdefault(f[1], []).append({"start": start, "end": start + dur, "speaker": f[7]})
    out = []
    for name in names:
        ref = turns.get(name, [])
        n = len({t["speaker"] for t in ref})
        meta = {"pattern": f"AMI meeting excerpt, {n} speaker{'s' if n != 1 else ''}", "turns": ref}
        out.append((name, AMI / f"{name}.flac", {**meta, "uem": AMI_SCORED, "set": "ami"}))
    return out


def corpus(names: list[str]) -> list[tuple[str, Path, dict[str, Any]]]:
    out = []
    for name in names:
        if name == "conversation":
            meta = json.loads((FIXTURES / "conversation.json").read_text())
            out.append((name, FIXTURES / "conversation.flac", {**meta, "pattern": "meeting (committed fixture)"}))
        else:
            path, meta = dialogue(name)
            out.append((name, path, meta))
    return [(n, p, {**m, "set": "synthetic"}) for n, p, m in out]


# -- the engine, end to end ----------------------------------------------------------------------------------


def reference_segments(path: Path, reference: list[tuple[float, float, str]], settings: Settings) -> dict[str, Any]:
    """The labelling alone, on perfect segmentation: one segment per reference turn (overlapping turns stay
    separate segments, each with the mixed audio), voice prints by the configured encoder, labels by the
    real SpeakersStage (replayed)."""
    from rtstt.speakers.ge2e import MIN_SPEECH_S
    from rtstt.stages import speakers_stage

    stage = speakers_stage(settings.speakers, lambda event: None)
    stage.load()
    audio, rate = sf.read(str(path), dtype="float32")
    assert rate == fx.SR and audio.ndim == 1
    turns = sorted(reference)
    segments = [Segment(start, end, "", speaker=None, id=i + 1) for i, (start, end, _) in enumerate(turns)]
    t0 = time.perf_counter()
    embeddings = {}
    for s in segments:
        clip = audio[int(s.start * fx.SR) : int(s.end * fx.SR)]
        if len(clip) >= MIN_SPEECH_S * fx.SR:
            embeddings[s.id] = stage.encoder.embed(clip)
    embed_s = time.perf_counter() - t0
    labelled, uncertain, embedded = replay_labels(segments, embeddings, settings)
    duration = len(audio) / fx.SR
    run = {"segments": labelled, "embeddings": embeddings, "uncertain": uncertain, "audio_s": duration}
    run["embedded_ids"] = embedded
    return {**run, "wall_s": 0.0, "speaker_update_s": 0.0, "embed_s": embed_s}


def transcribe(
    path: Path, settings: Settings, backend: Any, realtime: bool = False, turns: bool = True, split: bool = True
) -> dict[str, Any]:
    """Run the file through the engine as `rtstt transcribe --speakers` does; time the speaker stage.
    `realtime`: replay the file at the speed of speech, as the window hears a meeting (short final lines).
    `turns=False`: units end at pauses only (no speaker-change network), to measure what it adds; `split=False`:
    lines keep both voices when the speaker changes inside them (the network still ends units)."""
    engine = Engine(settings, FileSource(path, realtime=realtime), backend)
    segments: dict[int, Segment] = {}
    labels: dict[int, str | None] = {}
    uncertain: list[bool] = [False]

    def collect(event: Any) -> None:  # finals come from the engine thread, labels from the stage's
        if isinstance(event, Final):
            segments[event.segment.id] = event.segment
        elif isinstance(event, SpeakerLabels):
            labels.update(event.labels)
            uncertain[0] = bool(getattr(event, "uncertain", False))

    engine.subscribe(collect)
    stage = next(s for s in engine.stages if s.name == "speakers")
    if not turns:
        stage._load_turns = lambda: None  # type: ignore[method-assign]
    stage.split_lines = split
    spent = {"update_s": 0.0}
    update = stage.update

    def timed_update(batch: list[Segment], final: bool) -> None:
        t0 = time.perf_counter()
        try:
            update(batch, final)
        finally:
            spent["update_s"] += time.perf_counter() - t0

    stage.update = timed_update  # type: ignore[method-assign]
    t0 = time.perf_counter()
    ended = engine.run()
    wall_s = time.perf_counter() - t0
    if engine.error:
        raise engine.error
    if stage.error is not None:
        raise stage.error
    ordered = sorted(segments.values(), key=lambda s: s.start)
    # The stage's own cost, sequential and uncontended: in fast mode it shares the cores with Whisper, so the
    # wall time inside its updates above also counts waiting for a core.
    audio, rate = sf.read(str(path), dtype="float32")
    assert rate == fx.SR and audio.ndim == 1, "the dialogues, the fixture and the AMI excerpts are 16 kHz mono"
    t1 = time.perf_counter()
    for unit in stage.embeddings:  # one print per speaker unit (its segments' joined audio)
        members = [segments[i] for i in stage.units[unit] if i in segments]
        stage.encoder.embed(np.concatenate([audio[int(s.start * fx.SR) : int(s.end * fx.SR)] for s in members]))
    return {
        "segments": [replace(s, speaker=labels.get(s.id, s.speaker)) for s in ordered],
        "embeddings": dict(stage.embeddings),
        "embedded_ids": sorted(i for i, unit in stage.unit_of.items() if unit in stage.embeddings),
        "uncertain": uncertain[0],
        "audio_s": ended.audio_s,
        "wall_s": wall_s,
        "speaker_update_s": spent["update_s"],
        "embed_s": time.perf_counter() - t1,
        "turn_checks": stage.turn_checks,
        "turn_changes": stage.turn_changes,
        "lines_checked": stage.splitter.lines_checked if stage.splitter is not None else 0,
        "lines_split": stage.splitter.lines_split if stage.splitter is not None else 0,
        "split_s": stage.splitter.seconds if stage.splitter is not None else 0.0,
    }


def replay_labels(
    segments: list[Segment], embeddings: dict[int, np.ndarray], settings: Settings
) -> tuple[list[Segment], bool, list[int]]:
    """The labels the real SpeakersStage gives these voice prints under `settings` (no thread, no model):
    segments that were embedded get long dummy audio and their recorded vector back, in the same order,
    one live update per finalized segment (as a live session sees them arrive), then the one at stop.
    The prints are keyed by speaker unit (its first segment's id): that segment's dummy audio carries the
    key, so the stage's print of a unit (closed or, provisionally, open) is the recorded one.
    Returns the labelled segments, whether the stage called the speakers uncertain at stop, and the ids of
    the segments whose unit was embedded."""
    from rtstt.stages import speakers_stage

    published: dict[int, str | None] = {}
    uncertain = [False]

    def publish(event: Any) -> None:
        if isinstance(event, SpeakerLabels):
            published.update(event.labels)
            uncertain[0] = bool(getattr(event, "uncertain", False))

    stage = speakers_stage(settings.speakers, publish)
    submitted = sorted(segments, key=lambda s: s.id)  # the order the engine finalized them in

    class Replay:
        def embed(self, audio: np.ndarray) -> np.ndarray:
            return embeddings[int(audio[np.flatnonzero(audio)[0]])]

    stage.encoder = Replay()
    for i, s in enumerate(submitted):
        stage.submit(s, np.full(16000 * 2, s.id, np.float32) if s.id in embeddings else np.zeros(1, np.float32))
        stage.update(submitted[: i + 1], final=False)
    stage.update(submitted, final=True)
    embedded = sorted(i for i, unit in stage.unit_of.items() if unit in stage.embeddings)
    return [replace(s, speaker=published.get(s.id)) for s in segments], uncertain[0], embedded


def save_prints(name: str, run: dict[str, Any]) -> None:
    """The run's segments (with their labels) and voice prints, for `--replay`."""
    PRINTS.mkdir(parents=True, exist_ok=True)
    ids = sorted(run["embeddings"])
    vectors = np.stack([run["embeddings"][i] for i in ids]) if ids else np.zeros((0, 0), np.float32)
    np.savez(PRINTS / f"{name}.npz", ids=np.asarray(ids, dtype=np.int64), vectors=vectors)
    keep = {k: v for k, v in run.items() if k not in ("segments", "embeddings")}
    doc = {**keep, "segments": [s.to_dict() for s in run["segments"]]}
    (PRINTS / f"{name}.json").write_text(json.dumps(doc) + "\n")


def load_prints(name: str) -> dict[str, Any]:
    path = PRINTS / f"{name}.json"
    if not path.is_file():
        raise SystemExit(f"no stored voice prints for {name}: run without --replay first")
    doc = json.loads(path.read_text())
    data = np.load(PRINTS / f"{name}.npz")
    embeddings = {int(i): v for i, v in zip(data["ids"], data["vectors"], strict=True)}
    return {**doc, "segments": [Segment.from_dict(s) for s in doc["segments"]], "embeddings": embeddings}


# -- scoring -------------------------------------------------------------------------------------------------


def _annotation(spans: list[tuple[float, float, str]]) -> Any:
    from pyannote.core import Annotation
    from pyannote.core import Segment as Span

    ann = Annotation()
    for i, (start, end, label) in enumerate(spans):
        if end > start:
            ann[Span(start, end), i] = label
    return ann


def der(
    reference: list[tuple[float, float, str]],
    hypothesis: list[tuple[float, float, str]],
    uem: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """DER and its parts as shares of the scored reference speech (`uem`: the scored range, else all of it)."""
    from pyannote.core import Segment as Span
    from pyannote.core import Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=2 * COLLAR_S, skip_overlap=False)
    ref, hyp = _annotation(reference), _annotation(hypothesis)
    scored = Timeline([Span(*uem)]) if uem else None
    d = metric(ref, hyp, uem=scored, detailed=True)
    total = d["total"] or 1.0
    covered = d["total"] - d["missed detection"]
    return {
        "der": d["diarization error rate"],
        "missed": d["missed detection"] / total,
        "false_alarm": d["false alarm"] / total,
        "confusion": d["confusion"] / total,
        "confusion_covered": d["confusion"] / covered if covered > 0 else 0.0,
        "scored_s": d["total"],
        "mapping": metric.optimal_mapping(ref, hyp, uem=scored),  # hypothesis label -> reference speaker
    }


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def true_speakers(seg: Segment, reference: list[tuple[float, float, str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for start, end, who in reference:
        out[who] = out.get(who, 0.0) + overlap((seg.start, seg.end), (start, end))
    return out


def score(
    segments: list[Segment],
    reference: list[tuple[float, float, str]],
    embedded: set[int],
    uem: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """DER and what explains it: the oracle-label floor, segments across a speaker change, and how the segments
    too short to embed (labelled from a neighbour by the stage) fared under the optimal label mapping."""
    hyp = [(s.start, s.end, s.speaker or "unlabelled") for s in segments]
    truth = []
    for s in segments:
        shares = true_speakers(s, reference)
        truth.append(max(shares, key=shares.get) if any(shares.values()) else "none")
    result = der(reference, hyp, uem)
    mapping = result.pop("mapping")
    oracle = [(s.start, s.end, t) for s, t in zip(segments, truth, strict=True)]
    result["oracle_der"] = der(reference, oracle, uem)["der"]
    lo, hi = uem or (-np.inf, np.inf)
    result["speakers_true"] = len({who for start, end, who in reference if min(end, hi) > max(start, lo)})
    result["segments"] = len(segments)
    result["spanning_segments"] = sum(
        sum(1 for v in true_speakers(s, reference).values() if v > COLLAR_S) > 1 for s in segments
    )
    result["speakers_found"] = len({s.speaker for s in segments if s.speaker})
    result["unlabelled_segments"] = sum(1 for s in segments if not s.speaker)
    short = [(s, t) for s, t in zip(segments, truth, strict=True) if s.id not in embedded]
    result["short_segments"] = len(short)
    result["short_segments_right"] = sum(1 for s, t in short if s.speaker and mapping.get(s.speaker) == t)
    return result


# -- main ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("ge2e", "pyannote"), default="ge2e")
    p.add_argument("--pyannote-model", default="", help="pyannote checkpoint folder (with --backend pyannote)")
    p.add_argument("--threshold", type=float, default=None, help="speakers.threshold (default: the settings')")
    p.add_argument("--max-speakers", type=int, default=None)
    p.add_argument("--speakers", type=int, default=None, help="speakers.count: the known number (0 = auto)")
    p.add_argument("--true-count", action="store_true", help="tell the stage each recording's true speaker count")
    p.add_argument("--sweep", default="", help="comma-separated thresholds to replay the voice prints at")
    p.add_argument("--dialogues", default=",".join([*DIALOGUES, "conversation"]), help="synthetic ('' for none)")
    p.add_argument("--ami", default=",".join(AMI_NAMES), help="AMI excerpts in ../shared/data/ami ('' for none)")
    p.add_argument("--replay", action="store_true", help="label the stored voice prints instead of transcribing")
    p.add_argument(
        "--realtime",
        action="store_true",
        help="replay each file at the speed of speech (live short final lines; takes the audio's length)",
    )
    p.add_argument(
        "--segments",
        choices=("transcript", "reference"),
        default="transcript",
        help="segments from the transcript (end to end), or the reference turns (the labelling alone)",
    )
    p.add_argument(
        "--no-turns", action="store_true", help="units end at pauses only (without the speaker-change network)"
    )
    p.add_argument("--no-split", action="store_true", help="lines are not cut where the voice changes inside them")
    p.add_argument("--model", default="tiny.en")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "diarization.json")
    args = p.parse_args(argv)

    settings = Settings().with_overrides(
        stt__model=args.model,
        stt__device="cpu",
        stt__compute_type="int8",
        stt__threads=args.threads,
        speakers__enabled=True,
        speakers__backend=args.backend,
        speakers__pyannote_model=args.pyannote_model or None,
        speakers__threshold=args.threshold,
        speakers__max_speakers=args.max_speakers,
        speakers__count=args.speakers,
    )
    sweep = [float(t) for t in args.sweep.split(",") if t.strip()]
    items = corpus([n.strip() for n in args.dialogues.split(",") if n.strip()])
    items += ami_excerpts([n.strip() for n in args.ami.split(",") if n.strip()])
    backend = None
    if not args.replay and args.segments == "transcript":
        backend = load_backend(settings)
        backend.warm_up()

    rows: list[dict[str, Any]] = []
    for name, path, meta in items:
        reference = [(t["start"], t["end"], t["speaker"]) for t in meta["turns"]]
        uem = meta.get("uem")
        here = settings
        if args.true_count:
            n_true = len({who for *_, who in reference})
            here = settings.with_overrides(speakers__count=n_true)
        prints = name if args.segments == "transcript" else f"{name}.reference"
        if args.realtime:
            prints += ".realtime"
        if args.replay:
            run = load_prints(prints)
            run["segments"], run["uncertain"], run["embedded_ids"] = replay_labels(
                run["segments"], run["embeddings"], here
            )
        else:
            if backend:
                run = transcribe(
                    path, here, backend, realtime=args.realtime, turns=not args.no_turns, split=not args.no_split
                )
            else:
                run = reference_segments(path, reference, here)
            save_prints(prints, run)
        row: dict[str, Any] = {
            "dialogue": name,
            "set": meta["set"],
            "pattern": meta.get("pattern", ""),
            "duration_s": round(sf.info(str(path)).duration, 2),
            "reference_turns": len(reference),
            **score(run["segments"], reference, set(run["embedded_ids"]), uem),
            "uncertain": run["uncertain"],
            "embedded_segments": len(run["embedded_ids"]),
            "voice_prints": len(run["embeddings"]),
            "speaker_stage_rtf": run["speaker_update_s"] / max(run["audio_s"], 1e-9),
            "embed_rtf_alone": run["embed_s"] / max(run["audio_s"], 1e-9),
            "engine_rtf": run["wall_s"] / max(run["audio_s"], 1e-9),
            "turn_checks": run.get("turn_checks", 0),
            "turn_changes": run.get("turn_changes", 0),
            "lines_checked": run.get("lines_checked", 0),
            "lines_split": run.get("lines_split", 0),
            "split_ms_per_line": 1000 * run.get("split_s", 0.0) / max(run.get("lines_checked", 0), 1),
        }
        if sweep:
            row["sweep"] = {}
            for t in sweep:
                other = here.with_overrides(speakers__threshold=t)
                replayed, _, embedded = replay_labels(run["segments"], run["embeddings"], other)
                s = score(replayed, reference, set(embedded), uem)
                keys = ("der", "confusion", "speakers_found", "short_segments_right")
                row["sweep"][str(t)] = {k: s[k] for k in keys}
        rows.append(row)
        print(f"{name}: DER {row['der']:.1%}", file=sys.stderr)

    print_table(rows, sweep)
    overall: dict[str, Any] = {}
    for group in ("synthetic", "ami"):
        chosen = [r for r in rows if r["set"] == group]
        if not chosen:
            continue
        total_s = sum(r["scored_s"] for r in chosen) or 1.0
        keys = ("der", "missed", "false_alarm", "confusion", "oracle_der")
        o = {k: sum(r[k] * r["scored_s"] for r in chosen) / total_s for k in keys}  # time-weighted
        covered = sum(r["scored_s"] * (1 - r["missed"]) for r in chosen)
        o["confusion_covered"] = sum(r["confusion"] * r["scored_s"] for r in chosen) / covered if covered else 0.0
        o["count_within_one"] = sum(abs(r["speakers_found"] - r["speakers_true"]) <= 1 for r in chosen)
        o["count_exact"] = sum(r["speakers_found"] == r["speakers_true"] for r in chosen)
        o["recordings"] = len(chosen)
        if sweep:
            o["sweep_der"] = {
                str(t): sum(r["sweep"][str(t)]["der"] * r["scored_s"] for r in chosen) / total_s for t in sweep
            }
        overall[group] = o
        print(
            f"{group}: DER {o['der']:.1%} (oracle-label floor {o['oracle_der']:.1%}), confusion "
            f"{o['confusion_covered']:.1%} of covered speech, speakers found within one of the truth on "
            f"{o['count_within_one']}/{len(chosen)} (exact {o['count_exact']})"
        )
    spk = settings.speakers
    result = {
        "benchmark": "diarization",
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
        "metric": f"DER, pyannote.metrics, {COLLAR_S} s no-score collar each side of reference boundaries, "
        "overlap scored; AMI on 0-30 s",
        "backend": args.backend,
        "pyannote_model": args.pyannote_model or None,
        "threshold": spk.threshold,
        "max_speakers": spk.max_speakers,
        "count": "true count per recording" if args.true_count else spk.count,
        "replayed": args.replay,
        "realtime": args.realtime,
        "segments": args.segments,
        "stt_model": args.model,
        "target_der": 0.10,
        "overall": overall,
        "dialogues": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_rounded(result), indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


def print_table(rows: list[dict[str, Any]], sweep: list[float]) -> None:
    head = f"{'dialogue':12s} {'dur s':>6s} {'DER':>6s} {'miss':>6s} {'FA':>6s} {'conf':>6s} {'conf/cov':>8s}"
    head += f" {'oracle':>6s} {'spk':>7s} {'unc':>3s} {'segs':>5s} {'span':>5s} {'split':>5s} {'short ok':>8s}"
    head += f" {'spk RTF':>8s}"
    print(head + "".join(f" {'t=' + str(t):>7s}" for t in sweep))
    for r in rows:
        short = f"{r['short_segments_right']}/{r['short_segments']}"
        found = f"{r['speakers_found']}/{r['speakers_true']}"
        line = (
            f"{r['dialogue']:12s} {r['duration_s']:6.1f} {r['der']:6.1%} {r['missed']:6.1%} {r['false_alarm']:6.1%} "
            f"{r['confusion']:6.1%} {r['confusion_covered']:8.1%} {r['oracle_der']:6.1%} {found:>7s} "
            f"{'yes' if r['uncertain'] else 'no':>3s} {r['segments']:5d} {r['spanning_segments']:5d} "
            f"{r.get('lines_split', 0):5d} {short:>8s} "
            f"{r['speaker_stage_rtf']:8.3f}"
        )
        print(line + "".join(f" {r['sweep'][str(t)]['der']:7.1%}" for t in sweep))


def _rounded(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 4)
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


if __name__ == "__main__":
    sys.exit(main())
