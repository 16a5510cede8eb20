"""Live latency benchmark: replay speech in real time through the engine and measure what a user waits for.

    python benchmarks/live_latency.py [--audio FILE --ref TEXT_OR_JSON] [--minutes 10] [--model tiny.en]

Measures on the same audio with the same model:
- final-text latency (emitted_at - end of the segment's last word) p50 / p95 / max,
- time to first partial (after speech starts) p50,
- streaming WER of the live transcript vs offline WER (one faster-whisper `transcribe` call, beam 5),
- real-time factor, backlog (max and trend), and RSS growth over the replay.
The default audio is the two-voice conversation fixture; `--minutes N` loops it into an N-minute
stream for the soak numbers (backlog and memory must stay flat). Writes benchmarks/results/*.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))

from rtstt.audio.sources import FileSource  # noqa: E402
from rtstt.config import Settings  # noqa: E402
from rtstt.events import Final, Metric, Partial, SpeakerLabels  # noqa: E402
from rtstt.model_cache import load_backend  # noqa: E402
from rtstt.pipeline import Engine  # noqa: E402
from rtstt.wer import wer_details  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "conversation.flac"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values), q))


def looped_audio(path: Path, minutes: float, out: Path) -> tuple[Path, int]:
    audio, rate = sf.read(str(path), dtype="float32")
    reps = max(1, int(np.ceil(minutes * 60 / (len(audio) / rate))))
    sf.write(str(out), np.tile(audio, reps), rate, subtype="PCM_16")
    return out, reps


def speech_starts(meta: dict, reps: int, period: float) -> list[float]:
    starts = [t["start"] for t in meta.get("turns", [])]
    return [s + k * period for k in range(reps) for s in starts]


def offline_wer(backend, path: Path, reference: str) -> tuple[float, str]:
    segments, _ = backend.model.transcribe(str(path), language="en", beam_size=5, vad_filter=True)
    text = " ".join(s.text.strip() for s in segments)
    return wer_details(reference, text).wer, text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--audio", type=Path, default=FIXTURE)
    p.add_argument("--minutes", type=float, default=0.0, help="loop the audio into a stream this long (soak)")
    p.add_argument("--model", default="tiny.en")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--insights", action="store_true", help="run the insights stage too (its latency cost)")
    p.add_argument("--speakers", action="store_true", help="run the speaker stage too")
    p.add_argument("--summary", action="store_true", help="run the rolling-summary stage too")
    p.add_argument("--all-stages", action="store_true", help="speakers, insights and summary together")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)

    meta = json.loads(args.audio.with_suffix(".json").read_text())
    settings = Settings().with_overrides(
        stt__model=args.model,
        stt__threads=args.threads,
        stt__device=args.device,
        insights__enabled=True if args.insights or args.all_stages else None,
        speakers__enabled=True if args.speakers or args.all_stages else None,
        summary__enabled=True if args.summary or args.all_stages else None,
    )
    backend = load_backend(settings)
    backend.warm_up()

    audio_path, reps = args.audio, 1
    tmp = REPO / "benchmarks" / "results" / "soak.tmp.flac"
    if args.minutes:
        audio_path, reps = looped_audio(args.audio, args.minutes, tmp)
    period = sf.info(str(args.audio)).duration
    reference = " ".join([meta["text"]] * reps)

    engine = Engine(settings, FileSource(audio_path, realtime=True), backend)
    finals: list[Final] = []
    partials: list[Partial] = []
    rss: list[tuple[float, float]] = []
    backlog: list[tuple[float, float]] = []

    labelled: set[int] = set()
    label_delays: list[float] = []  # final text shown -> its first speaker label shown

    def on_event(event) -> None:
        if isinstance(event, SpeakerLabels):
            now = engine.clock()
            shown = {f.segment.id: f.emitted_at for f in finals}
            label_delays.extend(now - shown[i] for i in event.labels if i in shown and i not in labelled)
            labelled.update(event.labels)
        elif isinstance(event, Final):
            finals.append(event)
        elif isinstance(event, Partial) and event.text:
            partials.append(event)
        elif isinstance(event, Metric) and event.name == "rss_mb":
            rss.append((event.at, event.value))
        elif isinstance(event, Metric) and event.name == "backlog_s":
            backlog.append((event.at, event.value))

    engine.subscribe(on_event)
    engine.warm_up_stages()  # as `rtstt live` and the window do: models load before capture starts
    t0 = time.perf_counter()
    ended = engine.run()
    wall = time.perf_counter() - t0
    tmp.unlink(missing_ok=True)

    latencies = [f.latency_s for f in finals]
    first_partial = []
    partial_times = sorted(p.emitted_at for p in partials)
    for start in speech_starts(meta, reps, period):
        after = [t for t in partial_times if t >= start]
        if after and after[0] - start < 10:
            first_partial.append(after[0] - start)
    stream_text = " ".join(f.segment.text for f in finals)
    stream_wer = wer_details(reference, stream_text).wer
    off_wer, _ = offline_wer(backend, args.audio, meta["text"])
    # memory growth after the first minute (model and buffers warm) to the end
    warm = [v for t, v in rss if t >= min(60.0, ended.audio_s / 4)]
    half = len(backlog) // 2
    result = {
        "benchmark": "live_latency",
        "audio": str(args.audio.relative_to(REPO)) if args.audio.is_relative_to(REPO) else str(args.audio),
        "audio_s": round(ended.audio_s, 2),
        "wall_s": round(wall, 2),
        "model": backend.name,
        "device": backend.choice.device_name,
        "compute_type": backend.choice.compute_type,
        "threads": args.threads,
        "machine": f"{platform.machine()} {platform.processor() or ''} {platform.system()}".strip(),
        "cpu_count": __import__("os").cpu_count(),
        "finals": len(finals),
        "final_latency_p50_s": _r(percentile(latencies, 50)),
        "final_latency_p95_s": _r(percentile(latencies, 95)),
        "final_latency_max_s": _r(max(latencies) if latencies else None),
        "first_partial_p50_s": _r(percentile(first_partial, 50)),
        "streaming_wer": round(stream_wer, 4),
        "offline_wer": round(off_wer, 4),
        "wer_gap_points": round(100 * (stream_wer - off_wer), 2),
        "rtf": ended.stats.get("rtf"),
        "max_backlog_s": ended.stats.get("max_backlog_s"),
        "backlog_mean_first_half_s": _r(statistics.fmean(v for _, v in backlog[:half]) if half else None),
        "backlog_mean_second_half_s": _r(statistics.fmean(v for _, v in backlog[half:]) if half else None),
        "rss_start_mb": _r(warm[0] if warm else None),
        "rss_end_mb": _r(warm[-1] if warm else None),
        "rss_growth_mb": _r(warm[-1] - warm[0] if len(warm) > 1 else None),
        "rss_peak_mb": _r(max(v for _, v in rss) if rss else None),
        "step_s": ended.stats.get("step_s"),
        "stages": [stage.name for stage in engine.stages],
        "speaker_label_delay_p50_s": _r(percentile(label_delays, 50)),
        "speaker_label_delay_p95_s": _r(percentile(label_delays, 95)),
        "passes": ended.stats.get("passes"),
    }
    result["targets"] = {
        "final_latency_p50_le_1s": _ok(result["final_latency_p50_s"], 1.0),
        "final_latency_p95_le_2s": _ok(result["final_latency_p95_s"], 2.0),
        "wer_gap_le_2_points": result["wer_gap_points"] <= 2.0,
        "rss_growth_lt_50mb": _ok(result["rss_growth_mb"], 50.0, strict=True) if args.minutes else None,
    }
    stages = "".join(f"_{stage.name}" for stage in engine.stages)
    name = f"live_latency_{'soak_' if args.minutes else ''}{args.model}{stages}.json"
    out = args.out or REPO / "benchmarks" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 3)


def _ok(x: float | None, bound: float, strict: bool = False) -> bool | None:
    if x is None:
        return None
    return x < bound if strict else x <= bound


if __name__ == "__main__":
    sys.exit(main())
