"""Live latency benchmark: replay speech in real time through the engine and measure what a user waits for.

    python benchmarks/live_latency.py [--set synthetic|real|ami|all] [--minutes 10] [--model tiny.en]
    python benchmarks/live_latency.py --audio FILE [--ref TEXT_FILE]

Each clip is played in real time (wall clock) through the engine the window and `rtstt live` run.
Measured per set, words and segments of all its clips pooled:
- word-level finalization latency: for every word of the final transcript, the wall time from the
  end of that word (its audio) to the Final segment that carries it being emitted; p50 / p95 / max,
- segment latency: end of a segment's last word to the segment's emission,
- time to the first tentative word: from the start of an utterance (a word after >= 0.5 s without
  words, or the first) to the first partial or final text about it,
- streaming WER against the reference text, next to offline WER (one faster-whisper `transcribe`
  call, beam 5, same model); without a reference (the AMI meetings), the streaming transcript is
  scored against that offline transcript instead ("disagreement with offline"),
- real-time factor, backlog and RSS growth (`--minutes N` loops a clip into an N-minute soak).

Sets: `synthetic` is the two-voice conversation fixture (piper + festival, clean turn-taking);
`real` is ../shared/data/real (jfk, and the English first half of multilingual.mp3); `ami` is the
five 30 s AMI meeting excerpts in ../shared/data/ami (2-4 real people, overlaps, no pauses).
Writes benchmarks/results/live_latency_<set>_<model>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))

from rtstt.audio.sources import FileSource  # noqa: E402
from rtstt.config import Settings  # noqa: E402
from rtstt.events import Final, Metric, Partial, SpeakerLabels  # noqa: E402
from rtstt.metrics import percentile  # noqa: E402
from rtstt.model_cache import load_backend  # noqa: E402
from rtstt.pipeline import Engine  # noqa: E402
from rtstt.wer import wer_details  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "conversation.flac"
DATA = REPO.parent / "shared" / "data"
MULTILINGUAL_ENGLISH_S = 30.0  # multilingual.mp3: the English reading ends here, German follows
UTTERANCE_GAP_S = 0.5


@dataclass
class Clip:
    name: str
    path: Path
    reference: str | None  # None: score against the offline transcript
    crop_s: float | None = None


@dataclass
class Replay:
    clip: Clip
    finals: list[Final] = field(default_factory=list)
    partials: list[Partial] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)
    backlog: list[tuple[float, float]] = field(default_factory=list)
    label_delays: list[float] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    audio_s: float = 0.0
    wall_s: float = 0.0
    offline_text: str = ""

    @property
    def text(self) -> str:
        return " ".join(f.segment.text for f in self.finals)

    def word_latencies(self) -> list[float]:
        return [f.emitted_at - w.end for f in self.finals for w in f.segment.words]

    def segment_latencies(self) -> list[float]:
        return [f.latency_s for f in self.finals]

    def first_text_delays(self) -> list[float]:
        """Utterance start -> first text (partial or final) that covers audio after it."""
        words = [w for f in self.finals for w in f.segment.words]
        starts, last_end = [], -1e9
        for w in words:
            if w.start - last_end >= UTTERANCE_GAP_S:
                starts.append(w.start)
            last_end = max(last_end, w.end)
        shown = sorted(
            [(p.emitted_at, p.end) for p in self.partials] + [(f.emitted_at, f.segment.end) for f in self.finals]
        )
        delays = []
        for start in starts:
            first = next((at for at, end in shown if at >= start and end >= start), None)
            if first is not None:
                delays.append(first - start)
        return delays


def sets() -> dict[str, list[Clip]]:
    real = DATA / "real"
    ami = DATA / "ami"
    return {
        "synthetic": [Clip("conversation", FIXTURE, json.loads(FIXTURE.with_suffix(".json").read_text())["text"])],
        "real": [
            Clip("jfk", real / "jfk.flac", _read(real / "jfk.txt")),
            Clip(
                "multilingual_en",
                real / "multilingual.mp3",
                _read(real / "multilingual.en.txt"),
                crop_s=MULTILINGUAL_ENGLISH_S,
            ),
        ],
        "ami": [Clip(p.stem, p, None) for p in sorted(ami.glob("*.flac"))],
    }


def _read(path: Path) -> str | None:
    return path.read_text().strip() if path.exists() else None


def prepared_audio(clip: Clip, minutes: float, tmp: Path) -> tuple[Path, int]:
    """The clip as a 16 kHz file, cropped and/or looped; (path, repetitions)."""
    if not clip.crop_s and not minutes:
        return clip.path, 1
    source = FileSource(clip.path)  # decoded and resampled to 16 kHz as the engine hears it
    source.start()
    chunks = []
    while (block := source.read()) is not None:
        chunks.append(block)
    audio = np.concatenate(chunks)
    if clip.crop_s:
        audio = audio[: int(clip.crop_s * 16000)]
    reps = max(1, int(np.ceil(minutes * 60 / (len(audio) / 16000)))) if minutes else 1
    out = tmp / f"{clip.name}.flac"
    sf.write(str(out), np.tile(audio, reps), 16000, subtype="PCM_16")
    return out, reps


def replay(clip: Clip, path: Path, settings: Settings, backend, policy: dict[str, str]) -> Replay:
    engine = Engine(settings, FileSource(path, realtime=True), backend)
    cfg = engine.policy.cfg
    for name, value in policy.items():
        current = getattr(cfg, name)
        setattr(cfg, name, value in ("1", "true") if isinstance(current, bool) else type(current)(value))
    run = Replay(clip)
    labelled: set[int] = set()

    def on_event(event) -> None:
        if isinstance(event, SpeakerLabels):
            now = engine.clock()
            shown = {f.segment.id: f.emitted_at for f in run.finals}
            run.label_delays.extend(now - shown[i] for i in event.labels if i in shown and i not in labelled)
            labelled.update(event.labels)
        elif isinstance(event, Final):
            run.finals.append(event)
        elif isinstance(event, Partial) and event.text:
            run.partials.append(event)
        elif isinstance(event, Metric) and event.name == "rss_mb":
            run.rss.append((event.at, event.value))
        elif isinstance(event, Metric) and event.name == "backlog_s":
            run.backlog.append((event.at, event.value))

    engine.subscribe(on_event)
    engine.warm_up_stages()  # as `rtstt live` and the window do: models load before capture starts
    t0 = time.perf_counter()
    ended = engine.run()
    run.wall_s = time.perf_counter() - t0
    run.audio_s = ended.audio_s
    run.stats = ended.stats
    return run


def offline_text(backend, path: Path) -> str:
    segments, _ = backend.model.transcribe(str(path), language="en", beam_size=5, vad_filter=True)
    return " ".join(s.text.strip() for s in segments)


def summarize(set_name: str, runs: list[Replay], backend, args, reps: int) -> dict:
    words = [x for r in runs for x in r.word_latencies()]
    segments = [x for r in runs for x in r.segment_latencies()]
    first = [x for r in runs for x in r.first_text_delays()]
    clips = []
    errors = {"stream": [0, 0], "offline": [0, 0], "vs_offline": [0, 0]}  # [edits, reference words]
    for r in runs:
        entry = {
            "clip": r.clip.name,
            "audio_s": round(r.audio_s, 2),
            "finals": len(r.finals),
            "words": len(r.word_latencies()),
            "word_latency_p50_s": _r(_pct(r.word_latencies(), 50)),
            "word_latency_p95_s": _r(_pct(r.word_latencies(), 95)),
            "segment_latency_p50_s": _r(_pct(r.segment_latencies(), 50)),
            "segment_latency_p95_s": _r(_pct(r.segment_latencies(), 95)),
            "rtf": r.stats.get("rtf"),
            "stream_text": r.text,
        }
        vs_off = wer_details(r.offline_text, r.text)
        _add(errors["vs_offline"], vs_off)
        entry["disagreement_with_offline"] = round(vs_off.wer, 4)
        if r.clip.reference:
            ref = " ".join([r.clip.reference] * reps)
            stream = wer_details(ref, r.text)
            offline = wer_details(r.clip.reference, r.offline_text)
            _add(errors["stream"], stream)
            _add(errors["offline"], offline)
            entry["streaming_wer"] = round(stream.wer, 4)
            entry["offline_wer"] = round(offline.wer, 4)
        clips.append(entry)
    rss = [v for r in runs for t, v in r.rss if t >= min(60.0, r.audio_s / 4)]
    backlog = [v for r in runs for _, v in r.backlog]
    half = len(backlog) // 2
    wer_stream = _ratio(errors["stream"])
    wer_offline = _ratio(errors["offline"])
    result = {
        "benchmark": "live_latency",
        "set": set_name,
        "clips": [r.clip.name for r in runs],
        "audio_s": round(sum(r.audio_s for r in runs), 2),
        "wall_s": round(sum(r.wall_s for r in runs), 2),
        "model": backend.name,
        "device": backend.choice.device_name,
        "compute_type": backend.choice.compute_type,
        "threads": args.threads,
        "machine": f"{platform.machine()} {platform.processor() or ''} {platform.system()}".strip(),
        "cpu_count": os.cpu_count(),
        "finals": sum(len(r.finals) for r in runs),
        "words": len(words),
        "word_latency_p50_s": _r(_pct(words, 50)),
        "word_latency_p95_s": _r(_pct(words, 95)),
        "word_latency_max_s": _r(max(words) if words else None),
        "final_latency_p50_s": _r(_pct(segments, 50)),
        "final_latency_p95_s": _r(_pct(segments, 95)),
        "final_latency_max_s": _r(max(segments) if segments else None),
        "first_text_p50_s": _r(_pct(first, 50)),
        "first_text_p95_s": _r(_pct(first, 95)),
        "streaming_wer": None if wer_stream is None else round(wer_stream, 4),
        "offline_wer": None if wer_offline is None else round(wer_offline, 4),
        "wer_gap_points": None if wer_stream is None else round(100 * (wer_stream - wer_offline), 2),
        "disagreement_with_offline": _r(_ratio(errors["vs_offline"])),
        "rtf": _r(statistics.fmean(r.stats.get("rtf") or 0.0 for r in runs)),
        "max_backlog_s": max((r.stats.get("max_backlog_s") or 0.0) for r in runs),
        "backlog_mean_first_half_s": _r(statistics.fmean(backlog[:half]) if half else None),
        "backlog_mean_second_half_s": _r(statistics.fmean(backlog[half:]) if half else None),
        "rss_start_mb": _r(rss[0] if rss else None),
        "rss_end_mb": _r(rss[-1] if rss else None),
        "rss_growth_mb": _r(rss[-1] - rss[0] if len(rss) > 1 else None),
        "speaker_label_delay_p50_s": _r(_pct([x for r in runs for x in r.label_delays], 50)),
        "passes": sum(r.stats.get("passes") or 0 for r in runs),
        "policy": args.policy,
        "per_clip": clips,
    }
    synthetic = set_name == "synthetic"
    result["targets"] = {
        "word_latency_p50_le_1s": _ok(result["word_latency_p50_s"], 1.0),
        "word_latency_p95_le_2_5s": _ok(result["word_latency_p95_s"], 2.5),
        "segment_latency_p95_le_2s": _ok(result["final_latency_p95_s"], 2.0),
        "segment_latency_p50_le_0_6s": _ok(result["final_latency_p50_s"], 0.6) if synthetic else None,
        "wer_gap_le_2_points": None if wer_stream is None else result["wer_gap_points"] <= 2.0,
        "rss_growth_lt_50mb": _ok(result["rss_growth_mb"], 50.0, strict=True) if args.minutes else None,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", default="synthetic", choices=["synthetic", "real", "ami", "all"])
    p.add_argument("--audio", type=Path, help="one file instead of a set")
    p.add_argument("--ref", type=Path, help="reference text for --audio (a .txt, or a fixture .json with 'text')")
    p.add_argument("--minutes", type=float, default=0.0, help="loop each clip into a stream this long (soak)")
    p.add_argument("--model", default="tiny.en")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--insights", action="store_true", help="run the insights stage too (its latency cost)")
    p.add_argument("--speakers", action="store_true", help="run the speaker stage too")
    p.add_argument("--summary", action="store_true", help="run the rolling-summary stage too")
    p.add_argument("--all-stages", action="store_true", help="speakers, insights and summary together")
    p.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a streaming-policy setting (rtstt.stt.streaming.PolicyConfig), to measure an idea",
    )
    p.add_argument("--tag", default="", help="added to the output file names (e.g. the idea measured)")
    p.add_argument("--out", type=Path, default=None, help="output JSON (one set only)")
    args = p.parse_args(argv)

    settings = Settings().with_overrides(
        stt__model=args.model,
        stt__threads=args.threads,
        stt__device=args.device,
        insights__enabled=True if args.insights or args.all_stages else None,
        speakers__enabled=True if args.speakers or args.all_stages else None,
        summary__enabled=True if args.summary or args.all_stages else None,
    )
    if args.audio:
        chosen = {"custom": [Clip(args.audio.stem, args.audio, _reference(args.audio, args.ref))]}
    else:
        available = sets()
        chosen = {k: v for k, v in available.items() if args.set in (k, "all")}
    policy = dict(item.split("=", 1) for item in args.policy)
    backend = load_backend(settings)
    backend.warm_up()
    stage_names = "".join(f"_{s}" for s in ("speakers", "insights", "summary") if getattr(settings, s).enabled)
    with tempfile.TemporaryDirectory() as tmpdir:
        for set_name, clips in chosen.items():
            missing = [c.path for c in clips if not c.path.exists()]
            if missing or not clips:
                print(f"skipping set {set_name}: missing {missing or 'clips'}", file=sys.stderr)
                continue
            runs, reps = [], 1
            for clip in clips:
                path, reps = prepared_audio(clip, args.minutes, Path(tmpdir))
                run = replay(clip, path, settings, backend, policy)
                # the offline pass hears the replayed audio once: the file itself unless it was looped
                looped_crop = args.minutes and clip.crop_s
                source = (
                    path if not args.minutes else prepared_audio(clip, 0, Path(tmpdir))[0] if looped_crop else clip.path
                )
                run.offline_text = " ".join([offline_text(backend, source)] * reps)  # a soak loops the clip
                runs.append(run)
                print(f"{set_name}/{clip.name}: {len(run.finals)} finals", file=sys.stderr)
            result = summarize(set_name, runs, backend, args, reps)
            tag = f"_{args.tag}" if args.tag else ""
            name = f"live_latency_{'soak_' if args.minutes else ''}{set_name}_{args.model}{stage_names}{tag}.json"
            out = args.out or REPO / "benchmarks" / "results" / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=2) + "\n")
            brief = {k: v for k, v in result.items() if k != "per_clip"}
            print(json.dumps(brief, indent=2))
            print(f"wrote {out}", file=sys.stderr)
    return 0


def _reference(audio: Path, ref: Path | None) -> str | None:
    ref = ref or next((p for p in (audio.with_suffix(".txt"), audio.with_suffix(".json")) if p.exists()), None)
    if ref is None:
        return None
    return json.loads(ref.read_text())["text"] if ref.suffix == ".json" else ref.read_text().strip()


def _add(acc: list[int], result) -> None:
    acc[0] += result.substitutions + result.deletions + result.insertions
    acc[1] += result.reference_words


def _ratio(acc: list[int]) -> float | None:
    return acc[0] / acc[1] if acc[1] else None


def _pct(values: list[float], q: float) -> float | None:
    return percentile(values, q) if values else None


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


def _ok(x: float | None, bound: float, strict: bool = False) -> bool | None:
    if x is None:
        return None
    return x < bound if strict else x <= bound


if __name__ == "__main__":
    sys.exit(main())
