"""What each optional component costs a user to download, per platform, from the build's lock.

    python benchmarks/component_sizes.py [--lock PATH] [--platform win_amd64] [--index URL]

Resolves every pin of every feature on the index (PyPI by default; needs the network) for the target
platform's CPython tags, the way the frozen app does, and sums the wheel sizes. Pins with no wheel for that
platform are listed: on Windows those are Linux-only dependencies (CUDA libraries, triton) that the
Windows build's own lock does not contain. Writes benchmarks/results/component_sizes_<platform>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.tags import compatible_tags, cpython_tags

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))

from rtstt.components.catalog import FEATURES  # noqa: E402
from rtstt.components.index import SimpleIndex, best_wheel  # noqa: E402
from rtstt.components.live import LOCK_NAME  # noqa: E402
from rtstt.components.lock import PYPI, Lock, closure, load_lock, pin_name, pin_version  # noqa: E402

WINDOWS = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"}


def windows_lock(bundle: Path | None) -> Lock:
    """The lock the Windows CPU build would write: this environment's versions, Windows's markers (no CUDA
    libraries, no triton), less what the bundle carries (from a frozen build's lock if one is given)."""
    bundled = {"numpy", "packaging", "huggingface-hub", "tokenizers", "tqdm", "pyyaml", "filelock", "requests"}
    if bundle is not None:
        everything = set().union(*(closure(f.roots, f.no_deps) for f in FEATURES.values()))
        locked = {pin_name(p) for p in load_lock(bundle / "_internal" / LOCK_NAME).pins(FEATURES)}
        bundled = everything - locked
    features = {}
    for feat in FEATURES.values():
        missing: set[str] = set()
        found = closure([r for r in feat.roots if r not in feat.cuda_only], feat.no_deps, WINDOWS, missing)
        if missing:
            print(
                f"{feat.name}: Windows-only dependencies not installed here (not counted): {', '.join(sorted(missing))}"
            )
        features[feat.name] = tuple(f"{n}=={v}" for n, v in sorted(found.items()) if n not in bundled)
    return Lock("estimate", f"{sys.version_info.major}.{sys.version_info.minor}", "win-amd64", "cpu", (PYPI,), features)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, help="a components.lock.json (default: Windows's, estimated here)")
    parser.add_argument("--bundled", type=Path, help="with no --lock: the frozen build whose bundle to leave out")
    parser.add_argument("--platform", default="win_amd64", help="wheel platform tag, e.g. win_amd64")
    parser.add_argument("--index", default=PYPI)
    args = parser.parse_args(argv)
    lock = load_lock(args.lock) if args.lock else windows_lock(args.bundled)
    py = (int(lock.python.split(".")[0]), int(lock.python.split(".")[1]))
    tags = [*cpython_tags(py, platforms=[args.platform]), *compatible_tags(py, platforms=[args.platform])]
    index = SimpleIndex(args.index)

    def resolve(pin: str):
        refs = index.candidates(pin_name(pin), pin_version(pin))
        return pin, best_wheel(refs, tags)

    pins = lock.pins(lock.features)
    with ThreadPoolExecutor(8) as pool:
        found = dict(pool.map(resolve, pins))
    result = {"platform": args.platform, "python": lock.python, "index": args.index, "features": {}}
    for name, feature_pins in lock.features.items():
        sizes = {p: found[p].size for p in feature_pins if found[p] is not None}
        missing = [p for p in feature_pins if found[p] is None]
        total = sum(s or 0 for s in sizes.values())
        biggest = sorted(sizes.items(), key=lambda kv: -(kv[1] or 0))[:3]
        result["features"][name] = {"download_mb": round(total / 1e6, 1), "wheels": len(sizes), "no_wheel": missing}
        top = ", ".join(f"{pin_name(p)} {s / 1e6:.0f} MB" for p, s in biggest)
        print(f"{name:10s} {total / 1e6:8.1f} MB in {len(sizes):3d} wheels  (biggest: {top})")
        if missing:
            print(f"{'':10s} no {args.platform} wheel: {', '.join(missing)}")
    every = {p: found[p].size or 0 for p in pins if found[p] is not None}
    result["all_features_mb"] = round(sum(every.values()) / 1e6, 1)
    print(f"{'all four':10s} {sum(every.values()) / 1e6:8.1f} MB in {len(every):3d} wheels (torch is shared)")
    out = REPO / "benchmarks" / "results" / f"component_sizes_{args.platform}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
