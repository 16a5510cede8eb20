"""Downloading a known model's files from a `Hub` into a staging folder, with progress and cancel.

The only part of model management that uses the network; the manager calls it from `fetch` and installs
the folder only once every file arrived whole and the set passes `check_model_folder` (a summary model's
GGUF file: `check_summary_folder`; a speaker model's ONNX file: `check_speaker_folder`).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rtstt.checksum import sha256_file
from rtstt.errors import ModelDownloadError, OutputError, RtsttError
from rtstt.models.checks import VOCABULARY_FILES, check_model_folder
from rtstt.models.hub import Hub, _download_errors
from rtstt.models.registry import ModelSpec

ProgressFn = Callable[[int, int], None]
GGUF_MAGIC = b"GGUF"  # the first bytes of every GGUF file
MIN_SPEAKER_BYTES = 1 << 20  # WeSpeaker networks are 20-30 MB; anything under 1 MB is an error page or a stub
_TEXT_HEADS = (b"version https://git-lfs", b"<", b"{")  # a Git LFS pointer, an HTML/XML page, a JSON error

FETCH_HINT = "check the internet connection or copy a model folder and use `rtstt models import`"
_SPARE_BYTES = 64 << 20


def remote_sizes(hub: Hub, spec: ModelSpec) -> dict[str, int]:
    """Size of each file of `spec` that the hub has, in download order; raises if the model files are absent."""
    wanted = list(spec.files)
    if spec.kind in ("summary", "speaker"):  # one named file each: all of it must be there
        return _summary_sizes(hub, spec, wanted)
    if any(f in VOCABULARY_FILES for f in wanted):  # repositories differ in which one they ship
        wanted += [f for f in VOCABULARY_FILES if f not in wanted]
    with _hub_errors(f"cannot reach the model hub for {spec.name}"):
        sizes = hub.file_sizes(spec.repo_id, wanted)
    missing = [f for f in ("model.bin", "config.json") if f not in sizes]
    if missing:
        raise ModelDownloadError(
            f"{spec.repo_id} has no {', '.join(missing)}", f"the hub or mirror lacks the model files; {FETCH_HINT}"
        )
    return {f: sizes[f] for f in wanted if f in sizes}


def _summary_sizes(hub: Hub, spec: ModelSpec, wanted: list[str]) -> dict[str, int]:
    with _hub_errors(f"cannot reach the model hub for {spec.name}"):
        sizes = hub.file_sizes(spec.repo_id, wanted)
    missing = [f for f in wanted if f not in sizes]
    if missing:
        raise ModelDownloadError(
            f"{spec.repo_id} has no {', '.join(missing)}", f"the hub or mirror lacks the model file; {FETCH_HINT}"
        )
    return {f: sizes[f] for f in wanted}


def check_summary_folder(path: Path, spec: ModelSpec) -> list[str]:
    """Problems with a downloaded summary model: its GGUF file missing, cut short or not a GGUF file at all."""
    if not path.is_dir():
        return [f"{path} is not a folder"]
    problems: list[str] = []
    for name in spec.files:
        file = path / name
        try:
            with open(file, "rb") as f:
                head = f.read(len(GGUF_MAGIC))
        except OSError:
            problems.append(f"{name} is missing")
            continue
        digest = spec.checksum(name)
        if head != GGUF_MAGIC:
            problems.append(f"{name} is not a GGUF file")
        elif digest and sha256_file(file) != digest:
            problems.append(f"{name} does not match its known checksum (corrupt or a different version)")
    return problems


def onnx_file_problem(file: Path) -> str | None:
    """What is wrong with a speaker model's ONNX file, cheaply (parsing the protobuf takes seconds): missing,
    cut short, or text where the network should be (a Git LFS pointer or an error page saved as the file)."""
    try:
        size = file.stat().st_size
        with open(file, "rb") as f:
            head = f.read(64).lstrip()
    except OSError:
        return f"{file.name} is missing"
    if any(head.startswith(t) for t in _TEXT_HEADS):
        return f"{file.name} is not an ONNX model (it holds text: a Git LFS pointer or an error page)"
    if size < MIN_SPEAKER_BYTES:
        return f"{file.name} is too small for a speaker model ({size} bytes)"
    return None


def check_speaker_folder(path: Path, spec: ModelSpec | None) -> list[str]:
    """Problems with an installed speaker model: its ONNX file (the spec's, else the folder's only .onnx)."""
    if not path.is_dir():
        return [f"{path} is not a folder"]
    files = [path / f for f in spec.files] if spec else sorted(path.glob("*.onnx"))
    if not files:
        return [f"{path} holds no .onnx file"]
    problems = [p for p in (onnx_file_problem(f) for f in files) if p]
    for file in files:
        digest = spec.checksum(file.name) if spec else None
        if not problems and digest and sha256_file(file) != digest:
            problems.append(f"{file.name} does not match its known checksum (corrupt or a different version)")
    return problems


def check_folder(path: Path, spec: ModelSpec) -> list[str]:
    """The checks that fit the spec's kind: a faster-whisper folder, a summary model's GGUF file, or a
    speaker model's ONNX file."""
    if spec.kind == "summary":
        return check_summary_folder(path, spec)
    if spec.kind == "speaker":
        return check_speaker_folder(path, spec)
    return check_model_folder(path, spec)


def check_space(models_dir: Path, total: int, name: str) -> None:
    """Refuse early, with a fix, rather than fail on a full disk halfway through a multi-GB download."""
    try:
        free = shutil.disk_usage(models_dir).free
    except OSError:
        return
    if free < total + _SPARE_BYTES:
        raise OutputError(
            f"not enough disk space for {name}: needs {total / 1e6:.0f} MB, {free / 1e6:.0f} MB free in {models_dir}",
            "free some space or set RTSTT_HOME to a folder on a larger disk",
        )


def download_files(
    hub: Hub,
    spec: ModelSpec,
    sizes: dict[str, int],
    tmp: Path,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Stream the files in `sizes` into `tmp`; raises on a cancel, a cut file or a set faster-whisper can't load."""
    total = sum(sizes.values())
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    if progress:
        progress(0, total)
    for f, size in sizes.items():
        if cancelled():
            break
        dest = tmp / f
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _hub_errors(f"download of {spec.name} failed"):
            hub.download(spec.repo_id, f, dest, on_bytes, cancel)
        if not cancelled() and dest.stat().st_size != size:
            raise ModelDownloadError(
                f"download of {spec.name} failed: {f} arrived incomplete", f"run the fetch again; {FETCH_HINT}"
            )
    if cancelled():
        raise ModelDownloadError(f"download of {spec.name} cancelled", "run the fetch again to restart it")
    problems = check_folder(tmp, spec)
    if problems:
        raise ModelDownloadError(f"download of {spec.name} is incomplete: {'; '.join(problems)}", "run the fetch again")


@contextmanager
def _hub_errors(message: str) -> Iterator[None]:
    """A network or Hub failure as a ModelDownloadError `message: <first line of the cause>`."""
    try:
        yield
    except RtsttError:
        raise
    except _download_errors() as exc:
        raise ModelDownloadError(f"{message}: {first_line(exc)}", FETCH_HINT) from exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
