"""The header of a CTranslate2 model.bin: enough to tell a Whisper model from a wrong or damaged file.

Reads a few hundred bytes, never the weights, so `verify` stays instant on a 3 GB large-v3.
"""

from __future__ import annotations

import struct
from pathlib import Path

_BAD_HEADER = "model.bin is not a CTranslate2 model file (bad header)"


def model_bin_problem(path: Path) -> str | None:
    """Check the CTranslate2 header (uint32 version, uint16 length, spec name) without loading the weights."""
    try:
        with open(path, "rb") as f:
            head = f.read(4 + 2 + 256)
    except OSError as exc:
        return f"model.bin cannot be read: {exc.strerror or exc}"
    if len(head) < 6:
        return "model.bin is truncated"
    (version,) = struct.unpack_from("<I", head, 0)
    if not 1 <= version <= 64:
        return _BAD_HEADER
    if version < 2:  # version 1 files carry no spec name
        return None
    (length,) = struct.unpack_from("<H", head, 4)
    raw = head[6 : 6 + length]
    if length == 0 or len(raw) < length:
        return _BAD_HEADER
    try:
        spec_name = raw.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        return _BAD_HEADER
    if "Whisper" not in spec_name:
        return f"model.bin holds a {spec_name or 'unnamed'} model, not a Whisper model"
    return None
