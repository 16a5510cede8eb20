"""Where the app's own files are: beside the source tree, or inside a PyInstaller bundle.

One answer for every room (the window's icon, the CLI's bundled sample, the bundled models folder),
so a frozen build and a source checkout never disagree about it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rtstt.errors import RtsttError

_SOURCE_ROOT = Path(__file__).resolve().parents[2]  # app/rtstt/resources.py -> the repository root


def bundle_root() -> Path | None:
    """The unpacked PyInstaller bundle, or None when running from source."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) if bundle else None


def app_roots() -> list[Path]:
    """The folders that may hold `resources/` and `models/`: the bundle first, then the source tree."""
    bundle = bundle_root()
    return [bundle, _SOURCE_ROOT] if bundle is not None else [_SOURCE_ROOT]


def resources_dir() -> Path:
    """`resources/` of this installation (the first root that has one)."""
    for root in app_roots():
        if (root / "resources").is_dir():
            return root / "resources"
    return app_roots()[0] / "resources"


def bundled_sample() -> Path:
    """The sample that `./run.sh` transcribes (resources/samples), source or frozen."""
    for root in app_roots():
        samples = root / "resources" / "samples"
        if samples.is_dir():
            audio = sorted(p for p in samples.iterdir() if p.suffix.lower() in (".flac", ".wav", ".ogg", ".mp3"))
            if audio:
                return audio[0]
    raise RtsttError("the bundled sample is missing", "pass a file with --input")
