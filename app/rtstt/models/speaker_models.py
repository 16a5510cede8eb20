"""Where the offline speaker models come from: GE2E exported to ONNX (rtstt.models.ge2e_export) and pyannote's
segmentation model exported to ONNX (rtstt.models.segmentation_export), so speaker labels run on onnxruntime
alone. Beside nlp_models.py, with the same roots (ARCHITECTURE, "One place per concern")."""

from __future__ import annotations

from pathlib import Path

GE2E_ONNX = Path("onnx") / "ge2e"  # under a models folder: model.onnx (+ export.json)
GE2E_MODEL_FILE = "model.onnx"
SEGMENTATION_ONNX = Path("onnx") / "segmentation"  # under a models folder: model.onnx + export.json
SEGMENTATION_MODEL_FILE = "model.onnx"


def _user_path(sub: Path) -> Path:
    from rtstt.config import user_dirs

    return user_dirs().models / sub


def _exported(sub: Path, model_file: str) -> Path | None:
    """The frozen build's bundled copy (or the repository's models/ folder, which ./run.sh fills), else the
    user models folder's; None when neither holds `model_file`."""
    from rtstt.resources import app_roots

    for folder in [root / "models" / sub for root in app_roots()] + [_user_path(sub)]:
        if (folder / model_file).is_file():
            return folder
    return None


def ge2e_onnx_user_path() -> Path:
    """Where an export into the user models folder goes (`python -m rtstt.models.ge2e_export`)."""
    return _user_path(GE2E_ONNX)


def ge2e_onnx_path() -> Path | None:
    """The ONNX GE2E folder that speaker labels read without torch, or None."""
    return _exported(GE2E_ONNX, GE2E_MODEL_FILE)


def segmentation_onnx_user_path() -> Path:
    """Where `python -m rtstt.models.segmentation_export` writes by default."""
    return _user_path(SEGMENTATION_ONNX)


def segmentation_onnx_path() -> Path | None:
    """The ONNX segmentation folder (speaker changes inside a run of speech), or None."""
    return _exported(SEGMENTATION_ONNX, SEGMENTATION_MODEL_FILE)


# -- downloadable speaker models (WeSpeaker ONNX): <models>/speaker/<name>/<file>.onnx ------------------------

SPEAKER_MODELS = Path("speaker")  # under a models folder; `rtstt models fetch/import` install here


def speaker_model_file(folder: Path) -> Path | None:
    """The ONNX file of a speaker model folder: the registry's file for a known name, else its only .onnx."""
    from rtstt.models.registry import find_speaker_spec

    spec = find_speaker_spec(folder.name)
    if spec is not None and (folder / spec.files[0]).is_file():
        return folder / spec.files[0]
    found = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
    return found[0] if len(found) == 1 else None


def speaker_roots(models_dir: Path | None = None) -> list[Path]:
    """Where installed speaker models are looked up by name: `models_dir` alone when given (tests, the
    manager), else the bundle's / repository's models/ and then the user models folder."""
    from rtstt.resources import app_roots

    if models_dir is not None:
        return [Path(models_dir) / SPEAKER_MODELS]
    return [root / "models" / SPEAKER_MODELS for root in app_roots()] + [_user_path(SPEAKER_MODELS)]


def wespeaker_model_file(model: str = "", models_dir: Path | None = None) -> Path | None:
    """The WeSpeaker ONNX file that the `speakers.model` setting means: a path to a .onnx file, the name of an
    installed speaker model, or "" for the recommended one when it is installed (None when it is not: the
    caller falls back to GE2E). A setting that names something absent raises ModelNotFound saying so."""
    from rtstt.errors import ModelNotFound
    from rtstt.models.registry import RECOMMENDED_SPEAKER

    raw = model.strip()
    name = raw or RECOMMENDED_SPEAKER
    path = Path(raw).expanduser()
    if raw and (path.suffix.lower() == ".onnx" or path.is_file() or "/" in raw or "\\" in raw):
        if path.is_file():
            return path
        inside = speaker_model_file(path) if path.is_dir() else None
        if inside is not None:
            return inside
        raise ModelNotFound(
            f"speakers.model '{raw}' is no WeSpeaker ONNX file: it does not exist",
            "check the path in Settings › Speakers, or leave it empty to use the downloaded WeSpeaker model",
        )
    for root in speaker_roots(models_dir):
        for folder in dict.fromkeys((name, name.lower())):  # as typed, then the registry's lower-case name
            file = speaker_model_file(root / folder)
            if file is not None:
                return file
    if not raw:
        return None
    raise ModelNotFound(
        f"speakers.model '{raw}' is not an installed speaker model",
        f"download it in Models › Speakers (`rtstt models fetch {RECOMMENDED_SPEAKER}`), import a .onnx file with "
        "`rtstt models import FILE.onnx`, or give the path of a WeSpeaker .onnx file",
    )
