"""Where the offline speaker model comes from: GE2E exported to ONNX (rtstt.models.ge2e_export), so speaker
labels run on onnxruntime alone. Beside nlp_models.py, with the same roots (ARCHITECTURE, "One place per
concern")."""

from __future__ import annotations

from pathlib import Path

GE2E_ONNX = Path("onnx") / "ge2e"  # under a models folder: model.onnx (+ export.json)
GE2E_MODEL_FILE = "model.onnx"


def ge2e_onnx_user_path() -> Path:
    """Where an export into the user models folder goes (`python -m rtstt.models.ge2e_export`)."""
    from rtstt.config import user_dirs

    return user_dirs().models / GE2E_ONNX


def ge2e_onnx_path() -> Path | None:
    """The ONNX GE2E folder that speaker labels read without torch: the frozen build's bundled copy (or the
    repository's models/ folder, which ./run.sh fills), else the user models folder's; None when neither."""
    from rtstt.resources import app_roots

    for folder in [root / "models" / GE2E_ONNX for root in app_roots()] + [ge2e_onnx_user_path()]:
        if (folder / GE2E_MODEL_FILE).is_file():
            return folder
    return None
