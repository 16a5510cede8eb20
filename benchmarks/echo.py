"""Echo on a call's microphone track (issue 10): two ways to keep the others' words from being transcribed
twice, measured on the call fixture and on harder variants of it.

    python benchmarks/echo.py [--variants fixture,hard,near] [--model tiny.en]

Calls come from tests/fixtures/make_call_fixture.py (`build_call`): `fixture` is exactly the committed
call_*.flac; `hard` has the echo louder (-12 dB), later (150 ms), more reverberant (RT60 0.5 s) over
broadband noise at -50 dBFS; `near` is quiet (-20 dB), early (30 ms), drier (RT60 0.3 s); `headset` has
no echo at all (the suppressor must not cost the user words when there is nothing to suppress).

Approaches, each transcribed through the app's own engine (Engine + FileSource, tiny.en int8 on the CPU):
- `none`: the raw microphone track (what the issue complains about).
- `signal` (a): rtstt.audio.echo.EchoSuppressor fed in blocks (mic 100 ms, system 96 ms with 0-20 ms of
  arrival jitter, as two devices deliver them), then the processed track is transcribed.
- `words` (b): both tracks transcribed; a microphone word is dropped when the system track has the same
  normalised word within +-0.6 s after shifting by the delay found by GCC-PHAT over the whole call.
- `clean`: the user's lines alone on the same timeline (no echo, no noise): the reference for the WER.

Metrics: duplicated words (microphone words outside the user's lines) as % of the system track's words;
WER of the user's lines (and its difference from `clean`); CPU seconds per second of audio, for the echo
step alone and for transcribing the microphone track. Prints a table; writes benchmarks/results/echo.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rtstt.audio.echo import EchoSuppressor, estimate_delay  # noqa: E402
from rtstt.audio.sources import FileSource  # noqa: E402
from rtstt.config import Settings  # noqa: E402
from rtstt.events import Final  # noqa: E402
from rtstt.model_cache import load_backend  # noqa: E402
from rtstt.pipeline import Engine  # noqa: E402
from rtstt.wer import normalize_text  # noqa: E402
from tests.fixtures.make_call_fixture import SR, build_call, score_mic_words  # noqa: E402

VARIANTS = {
    "fixture": {},
    "hard": {"delay_s": 0.15, "echo_gain_db": -12.0, "rt60_s": 0.5, "hiss_db": 0.0},
    "near": {"delay_s": 0.03, "echo_gain_db": -20.0, "rt60_s": 0.3},
    "headset": {"echo_gain_db": -200.0},  # the microphone does not hear the speakers: nothing to remove
}
RESULTS = REPO / "benchmarks" / "results" / "echo.json"
Words = list[tuple[float, float, str]]


def transcribe(backend, audio: np.ndarray) -> tuple[Words, float]:
    """Words (start, end, text) of the engine's final segments, and the CPU seconds it took."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "track.wav"
        sf.write(str(path), audio, SR, subtype="FLOAT")
        engine = Engine(Settings(), FileSource(path, realtime=False), backend)
        finals: list[Final] = []
        engine.subscribe(lambda e: finals.append(e) if isinstance(e, Final) else None)
        cpu0 = time.process_time()
        engine.run()
        cpu = time.process_time() - cpu0
    return [(w.start, w.end, w.text) for f in finals for w in f.segment.words], cpu


def suppress(system: np.ndarray, mic: np.ndarray, seed: int = 0, **kwargs) -> tuple[np.ndarray, float, EchoSuppressor]:
    """Stream both tracks through EchoSuppressor the way two devices deliver them; returns the processed
    mic track re-aligned (its latency removed), CPU seconds, and the suppressor."""
    rng = np.random.default_rng(seed)
    es = EchoSuppressor(SR, **kwargs)
    mic_block, ref_block = 1600, 1536
    out = []
    ri = 0
    cpu0 = time.process_time()
    for mi in range(0, len(mic), mic_block):
        t_mic = mi / SR
        while ri < len(system) and ri / SR <= t_mic + 0.05:  # system blocks come in on their own schedule
            es.reference(system[ri : ri + ref_block], ri / SR + rng.uniform(0, 0.02))
            ri += ref_block
        out.append(es.process(mic[mi : mi + mic_block], t_mic + rng.uniform(0, 0.02)))
    cpu = time.process_time() - cpu0
    processed = np.concatenate(out)
    aligned = np.zeros_like(processed)
    aligned[: len(processed) - es.latency] = processed[es.latency :]
    return aligned, cpu, es


def word_filter(mic_words: Words, system_words: Words, delay_s: float, window_s: float = 0.6) -> Words:
    """Approach (b): drop microphone words that the system track has (same normalised word) near in time."""
    by_text: dict[str, list[float]] = {}
    for start, _end, text in system_words:
        for w in normalize_text(text).split():
            by_text.setdefault(w, []).append(start + delay_s)
    kept = []
    for start, end, text in mic_words:
        norm = normalize_text(text).split()
        if norm and all(any(abs(start - t) <= window_s for t in by_text.get(w, ())) for w in norm):
            continue
        kept.append((start, end, text))
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    settings = Settings().with_overrides(stt__model=args.model, stt__device="cpu", stt__compute_type="int8")
    backend = load_backend(settings)
    backend.warm_up()
    report: dict = {
        "model": args.model,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "variants": {},
    }
    for name in args.variants.split(","):
        call = build_call(**VARIANTS[name])
        meta = call.meta
        duration = len(call.mic) / SR
        print(f"\n== {name}: delay {meta['delay_s']} s, echo {meta['echo_gain_db']} dB, RT60 {meta['rt60_s']} s")
        rows: dict = {}
        clean_words, _ = transcribe(backend, call.user_clean)
        rows["clean"] = score_mic_words(clean_words, meta)
        raw_words, raw_cpu = transcribe(backend, call.mic)
        rows["none"] = score_mic_words(raw_words, meta) | {"stt_cpu_per_s": round(raw_cpu / duration, 4)}

        processed, es_cpu, es = suppress(call.system, call.mic)
        sig_words, sig_cpu = transcribe(backend, processed)
        rows["signal"] = score_mic_words(sig_words, meta) | {
            "echo_cpu_per_s": round(es_cpu / duration, 4),
            "echo_ms_per_100ms": round(1000 * es_cpu / duration / 10, 2),
            "stt_cpu_per_s": round(sig_cpu / duration, 4),
            "delay_found_s": es.delay_s,
            "stats": es.stats,
        }

        system_words, _ = transcribe(backend, call.system)
        t0 = time.process_time()
        delay = estimate_delay(call.mic, call.system, SR)
        kept = word_filter(raw_words, system_words, delay or 0.0)
        wf_cpu = time.process_time() - t0
        rows["words"] = score_mic_words(kept, meta) | {
            "echo_cpu_per_s": round(wf_cpu / duration, 4),
            "stt_cpu_per_s": round(raw_cpu / duration, 4),
            "delay_found_s": delay,
        }
        base = rows["clean"]["user_wer"]
        for key in ("none", "signal", "words"):
            rows[key]["user_wer_minus_clean_pts"] = round(100 * (rows[key]["user_wer"] - base), 2)
        print(
            f"{'approach':8} {'dup words':>10} {'dup %':>7} {'user WER':>9} {'vs clean':>9} {'echo CPU/s':>11}"
            f" {'STT CPU/s':>10}"
        )
        for key in ("clean", "none", "signal", "words"):
            r = rows[key]
            print(
                f"{key:8} {r['duplicated']:>10} {r['duplicated_pct']:>7.2f} {100 * r['user_wer']:>8.1f}%"
                f" {r.get('user_wer_minus_clean_pts', 0.0):>+9.1f} {r.get('echo_cpu_per_s', 0.0):>11.4f}"
                f" {r.get('stt_cpu_per_s', 0.0):>10.3f}"
            )
        for key in ("signal", "words"):
            if rows[key]["duplicated_words"]:
                print(f"  {key} duplicated: {rows[key]['duplicated_words']}")
        report["variants"][name] = {"call": {k: v for k, v in meta.items() if "lines" not in k}} | rows
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
