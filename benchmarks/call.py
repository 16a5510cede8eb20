"""A call as two tracks (issue 10), played in real time through the app's engine: how late each side's
lines are, whether the shared Whisper model keeps up with both, and what the echo suppressor leaves.

    python benchmarks/call.py [--model tiny.en] [--threads 2] [--pulse]

The call fixture (tests/fixtures/call_mic.flac: the user, with the others' echo; call_system.flac: the
others) is replayed by two real-time FileSources started together, as a microphone and a loopback device
deliver a call, into Engine(CallSource) with tiny.en int8 on the CPU.

`--pulse`: the same call through the real capture path instead (Linux, PulseAudio installed): a private
pulseaudio server with two null sinks (tests/integration/test_pulse_call.py), call_system.flac played
with paplay into the "speakers" sink, recorded from its monitor; call_mic.flac played into a second sink
whose monitor feeds a remapped source, recorded as the microphone (`pulse/<source>`); both parec readers
keep their streams on the wall clock. The players start together once both recorders run (SETTLE_S after
the engine starts); the fixture's times are shifted by that offset. Writes call_pulse.json.

Metrics, per track: final-text latency p50/p95 against the wall clock (emitted_at - the line's last word;
the engine's clock and both replays start together), the largest backlog (wall clock - audio processed),
Whisper passes and compute seconds; for the microphone track also the latency of the lines the user
spoke while the others talked ("over") against those spoken alone, duplicated words (the others' words
transcribed again on the microphone track, % of the system track's words; score_mic_words) and the WER of
the user's lines; for the system track the WER of the others' lines. Overall: process CPU seconds per
second of audio. Prints a summary; writes benchmarks/results/call.json (call_pulse.json with --pulse).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rtstt.audio.call import CallSource  # noqa: E402
from rtstt.audio.sources import FileSource, open_source  # noqa: E402
from rtstt.config import Settings  # noqa: E402
from rtstt.events import Final, Metric  # noqa: E402
from rtstt.model_cache import load_backend  # noqa: E402
from rtstt.pipeline import Engine  # noqa: E402
from rtstt.wer import word_error_rate  # noqa: E402
from tests.fixtures.make_call_fixture import score_mic_words  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
RESULTS = REPO / "benchmarks" / "results" / "call.json"
PULSE_RESULTS = REPO / "benchmarks" / "results" / "call_pulse.json"
TRACK_STATS = ("latency_p50_s", "latency_p95_s", "max_backlog_s", "passes", "compute_s")


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def record(engine: Engine) -> tuple[list[Final], dict[str, float]]:
    """The finals and the largest backlog metrics of a run, filled in as the engine publishes them."""
    finals: list[Final] = []
    backlog: dict[str, float] = {}
    engine.subscribe(lambda e: finals.append(e) if isinstance(e, Final) else None)

    def on_metric(event: object) -> None:
        if isinstance(event, Metric) and event.name.startswith("backlog_"):
            backlog[event.name] = max(backlog.get(event.name, 0.0), event.value)

    engine.subscribe(on_metric)
    return finals, backlog


def run_files(settings: Settings, backend) -> tuple[Engine, list[Final], dict[str, float], float, float]:
    """The call replayed from the two files in real time: (engine, finals, backlog, CPU s, offset 0)."""
    source = CallSource(
        FileSource(FIXTURES / "call_mic.flac", realtime=True), FileSource(FIXTURES / "call_system.flac", realtime=True)
    )
    engine = Engine(settings, source, backend)
    finals, backlog = record(engine)
    cpu0 = time.process_time()
    engine.run()
    return engine, finals, backlog, time.process_time() - cpu0, 0.0


def run_pulse(
    settings: Settings, backend, duration_s: float
) -> tuple[Engine, list[Final], dict[str, float], float, float]:
    """The call played into a private PulseAudio server and recorded through the app's capture path:
    (engine, finals, backlog, CPU s, where the fixture's 0 s is on the engine's clock)."""
    from tests.integration import test_pulse_call as rig

    if rig.pulse_tools_missing():
        raise SystemExit("--pulse needs pulseaudio, pactl, paplay and parec (pulseaudio-utils)")
    with tempfile.TemporaryDirectory(prefix="rtstt-pulse-") as tmp:
        os.environ["XDG_RUNTIME_DIR"] = str(Path(tmp) / "xdg")  # a private server: the user's is not touched
        os.environ["HOME"] = tmp
        with rig.pulse_call_server(Path(tmp) / "xdg"):
            source = CallSource(open_source(f"mic:{rig.MIC_DEVICE}"), open_source(f"loopback:{rig.LOOPBACK_DEVICE}"))
            engine = Engine(settings, source, backend)
            finals, backlog = record(engine)
            cpu0 = time.process_time()
            engine.start()
            deadline = time.monotonic() + 30
            while engine.clock.t0 == 0.0 and time.monotonic() < deadline:
                time.sleep(0.005)
            t0 = engine.clock.t0
            time.sleep(max(0.0, t0 + rig.SETTLE_S - time.monotonic()))
            players = [
                subprocess.Popen(["paplay", f"--device={sink}", str(FIXTURES / clip)])
                for sink, clip in ((rig.SPEAKERS, "call_system.flac"), (rig.MIC_FEED, "call_mic.flac"))
            ]
            offset = time.monotonic() - t0
            try:
                time.sleep(max(0.0, t0 + offset + duration_s + 3.0 - time.monotonic()))  # the last line's tail
            finally:
                engine.stop()
                engine.join(120)
                for player in players:
                    if player.poll() is None:
                        player.kill()
                    player.wait(10)
            return engine, finals, backlog, time.process_time() - cpu0, offset


def run(model: str, threads: int, pulse: bool = False) -> dict:
    meta = json.loads((FIXTURES / "call.json").read_text(encoding="utf-8"))
    settings = Settings().with_overrides(
        stt__model=model, stt__device="cpu", stt__compute_type="int8", stt__threads=threads
    )
    backend = load_backend(settings)
    backend.warm_up()
    if pulse:
        engine, finals, backlog, cpu_s, offset = run_pulse(settings, backend, meta["duration"])
    else:
        engine, finals, backlog, cpu_s, offset = run_files(settings, backend)
    ended = engine.ended
    assert ended is not None, "the engine did not finish"

    def latencies(track: str, lines: list[dict] | None = None) -> list[float]:
        out = []
        for f in finals:
            if f.segment.track != track:
                continue
            mid = (f.segment.start + f.segment.end) / 2 - offset
            if lines is None or any(u["start"] - 0.3 <= mid <= u["end"] + 0.6 for u in lines):
                out.append(f.latency_s)
        return out

    mic_words = [
        (w.start - offset, w.end - offset, w.text) for f in finals if f.segment.track == "mic" for w in f.segment.words
    ]
    echo = score_mic_words(mic_words, meta)
    others = " ".join(f.segment.text for f in finals if f.segment.track == "system")
    over = [u for u in meta["user_lines"] if u["mode"] == "over"]
    alone = [u for u in meta["user_lines"] if u["mode"] == "alone"]
    tracks = ended.stats["tracks"]
    result = {
        "model": model,
        "threads": threads,
        "capture": "pulse (parec: a sink monitor + a remapped source as the microphone)" if pulse else "files",
        **({"played_at_s": round(offset, 3), "silence_filled_s": ended.stats.get("silence_filled_s")} if pulse else {}),
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
    parser.add_argument("--pulse", action="store_true", help="through a private PulseAudio server and parec")
    args = parser.parse_args()
    result = run(args.model, args.threads, pulse=args.pulse)
    result["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count()}
    results = PULSE_RESULTS if args.pulse else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
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
    print(f"wrote {results.relative_to(REPO)}")


if __name__ == "__main__":
    main()
