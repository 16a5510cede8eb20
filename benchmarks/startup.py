"""Start-up benchmark: how long until the user sees something, from source and from the frozen build.

    python benchmarks/startup.py [--frozen dist/RTSTT]

Measures `rtstt --help` (the command line must feel instant: heavy modules load lazily) and the time from
process start to the first painted window (offscreen), three runs each, plus the frozen bundle's size.
Writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=120)
    return time.perf_counter() - t0


def window_start(cmd: list[str], env: dict[str, str]) -> float:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, timeout=120).stdout
    return float(next(line.split("=")[1] for line in out.splitlines() if line.startswith("startup_s=")))


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frozen", type=Path, default=REPO / "dist" / "RTSTT")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "startup.json")
    args = p.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", RTSTT_HOME=tempfile.mkdtemp(prefix="rtstt-start-"))
    probe = dict(env, RTSTT_STARTUP_PROBE="1")
    source = [sys.executable, "-m", "rtstt"]
    result: dict[str, object] = {
        "benchmark": "startup",
        "cpu_count": os.cpu_count(),
        "source_help_s": round(statistics.median(timed([*source, "--help"], env) for _ in range(args.runs)), 3),
        "source_window_s": round(statistics.median(window_start(source, probe) for _ in range(args.runs)), 3),
    }
    cli = args.frozen / ("rtstt-cli.exe" if sys.platform == "win32" else "rtstt-cli")
    if cli.exists():
        result["frozen_size_mb"] = round(folder_mb(args.frozen), 1)
        runs = range(args.runs)
        result["frozen_help_s"] = round(statistics.median(timed([str(cli), "--help"], env) for _ in runs), 3)
        result["frozen_window_s"] = round(statistics.median(window_start([str(cli)], probe) for _ in runs), 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
