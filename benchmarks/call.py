"""A call as two tracks (issue 10), played in real time through the app's engine: how late each side's
lines are, whether the shared Whisper model keeps up with both, and what the echo suppressor leaves.

    python benchmarks/call.py [--model tiny.en] [--threads 2]

The call fixture (tests/fixtures/call_mic.flac: the user, with the others' echo; call_system.flac: the
others) is replayed by two real-time FileSources started together, as a microphone and a loopback device
deliver a call, into Engine(CallSource) with tiny.en int8 on the CPU.

Metrics, per track: final-text latency p50/p95 against the wall clock (emitted_at - the line's last word;
the engine's clock and both replays start together), the largest backlog (wall clock - audio processed),
Whisper passes and compute seconds; for the microphone track also the latency of the lines the user
spoke while the others talked ("over") against those spoken alone, duplicated words (the others' words
transcribed again on the microphone track, % of the system track's words; score_mic_words) and the WER of
the user's lines; for the system track the WER of the others' lines. Overall: process CPU seconds per
second of audio. Prints a summary; writes benchmarks/results/call.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rtstt.audio.call import CallSource  # noqa: E402
from rtstt.audio.sources import FileSource  # noqa: E402
from rtstt.config import Settings  # noqa: E402
from rtstt.events import Final, Metric  # noqa: E402
from rtstt.model_cache import load_backend  # noqa: E402
from rtstt.pipeline import Engine  # noqa: E402
from rtstt.wer import word_error_rate  # noqa: E402
from tests.fixtures.make_call_fixture import score_mic_words  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
RESULTS = REPO / "benchmarks" / "results" / "call.json"
TRACK_STATS = ("latency_p50_s", "latency_p95_s", "max_backlog_s", "passes", "compute_s")


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def run(model: str, threads: int) -> dict:
    meta = json.loads((FIXTURES / "call.json").read_text(encoding="utf-8"))
    settings = Settings().with_overrides(
        stt__model=model, stt__device="cpu", stt__compute_type="int8", stt__threads=threads
    )
    backend = load_backend(settings)
    backend.warm_up()
    source = CallSource(
        FileSource(FIXTURES / "call_mic.flac", realtime=True), FileSource(FIXTURES / "call_system.flac", realtime=True)
    )
    engine = Engine(settings, source, backend)
    finals: list[Final] = []
    backlog: dict[str, float] = {}
    engine.subscribe(lambda e: finals.append(e) if isinstance(e, Final) else None)

    def on_metric(event: object) -> None:
        if isinstance(event, Metric) and event.name.startswith("backlog_"):
            backlog[event.name] = max(backlog.get(event.name, 0.0), event.value)

    engine.subscribe(on_metric)
    cpu0 = time.process_time()
    ended = engine.run()
    cpu_s = time.process_time() - cpu0

    def latencies(track: str, lines: list[dict] | None = None) -> list[float]:
        out = []
        for f in finals:
            if f.segment.track != track:
                continue
            mid = (f.segment.start + f.segment.end) / 2
            if lines is None or any(u["start"] - 0.3 <= mid <= u["end"] + 0.6 for u in lines):
                out.append(f.latency_s)
        return out

    mic_words = [(w.start, w.end, w.text) for f in finals if f.segment.track == "mic" for w in f.segment.words]
    echo = score_mic_words(mic_words, meta)
    others = " ".join(f.segment.text for f in finals if f.segment.track == "system")
    over = [u for u in meta["user_lines"] if u["mode"] == "over"]
    alone = [u for u in meta["user_lines"] if u["mode"] == "alone"]
    tracks = ended.stats["tracks"]
    result = {
        "model": model,
        "threads": threads,
        "audio_s": ended.audio_s,
        "wall_s": ended.wall_s,
        "cpu_s_per_audio_s": round(cpu_s / ended.audio_s, 3),
        "latency_p50_s": ended.stats["latency_p50_s"],
        "latency_p95_s": ended.stats["latency_p95_s"],
        "max_backlog_s": ended.stats["max_backlog_s"],
        "max_backlog_metric_s": {k: round(v, 3) for k, v in backlog.items()},
        "mic": {
            **{k: tracks["mic"][k] for k in TRACK_STATS},
            "latency_p50_over_s": percentile(latencies("mic", over), 50),
            "latency_p50_alone_s": percentile(latencies("mic", alone), 50),
            "duplicated_words": echo["duplicated"],
            "duplicated_pct": echo["duplicated_pct"],
            "user_wer": echo["user_wer"],
            "user_hyp": echo["user_hyp"],
        },
        "system": {
            **{
                k: tracks["system"][k]
                for k in ("latency_p50_s", "latency_p95_s", "max_backlog_s", "passes", "compute_s")
            },
            "others_wer": round(word_error_rate(" ".join(u["text"] for u in meta["system_lines"]), others), 4),
        },
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    result = run(args.model, args.threads)
    result["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for side in ("mic", "system"):
        r = result[side]
        print(
            f"{side:6}  latency p50 {r['latency_p50_s']} s  p95 {r['latency_p95_s']} s  "
            f"max backlog {r['max_backlog_s']} s  passes {r['passes']}"
        )
    mic = result["mic"]
    print(
        f"user WER {mic['user_wer']:.1%}  duplicated {mic['duplicated_words']} words ({mic['duplicated_pct']}%)  "
        f"others WER {result['system']['others_wer']:.1%}  CPU {result['cpu_s_per_audio_s']} s per s of audio"
    )
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
