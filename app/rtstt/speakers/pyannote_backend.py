"""Speaker embeddings from a pyannote.audio checkpoint (WeSpeaker ResNet, x-vector), for users who have one.

Same interface as `Ge2eEncoder` (`embed(audio) -> 1-D vector`), so the online clustering works with either.
The checkpoint is always local: a folder laid out as the hub repos are (`pytorch_model.bin` + `config.yaml`,
e.g. pyannote/wespeaker-voxceleb-resnet34-LM), that `pytorch_model.bin`, or that `config.yaml`. The pyannote
models are gated on the Hub, so fetching one is an explicit, one-time step with the user's token
(`download_pyannote_model`), never something a meeting waits on.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelDownloadError, ModelNotFound, OutputError, RtsttError
from rtstt.models.download import first_line
from rtstt.models.hub import Hub
from rtstt.models.staging import install
from rtstt.vocab import SAMPLE_RATE

DEFAULT_REPO = "pyannote/wespeaker-voxceleb-resnet34-LM"
CHECKPOINT = "pytorch_model.bin"
OPTIONAL_FILES = ("config.yaml",)
MIN_AUDIO_S = 0.1  # below this a voice print is noise, however it is padded
_MODEL_HINT = (
    "choose a folder with pytorch_model.bin (+ config.yaml) from a pyannote speaker-embedding model such as "
    f"{DEFAULT_REPO}, download one with a Hugging Face token, or use the ge2e backend"
)
_TOKEN_HINT = (
    "create a read token at https://huggingface.co/settings/tokens, accept the model's conditions at "
    "https://huggingface.co/{repo}, then save the token in Settings (kept in the system keyring) or set HF_TOKEN"
)


# --------------------------------------------------------------------------------------------- where


def default_model_dir(repo_id: str = DEFAULT_REPO) -> Path:
    """Where a downloaded pyannote model lives: `<app models>/pyannote/<owner>--<name>`."""
    from rtstt.config import user_dirs

    return user_dirs().models / "pyannote" / repo_id.replace("/", "--")


def checkpoint_file(model: str | Path = "") -> Path:
    """The `pytorch_model.bin` that `model` names: a folder, the file, its `config.yaml`, a downloaded repo id,
    or (empty) the default model's download folder. Never touches the network."""
    raw = str(model).strip()
    if not raw:
        found = default_model_dir() / CHECKPOINT
        if found.is_file():
            return found
        raise ModelNotFound("no pyannote speaker model is chosen or downloaded", _MODEL_HINT)
    path = Path(raw).expanduser()
    if not path.exists() and _looks_like_repo_id(raw):
        path = default_model_dir(raw)
        if not (path / CHECKPOINT).is_file():
            raise ModelNotFound(f"{raw} is neither a folder nor a downloaded pyannote model", _MODEL_HINT)
    if path.is_dir():
        if not (path / CHECKPOINT).is_file():
            raise ModelNotFound(f"{path} is not a pyannote checkpoint folder (it has no {CHECKPOINT})", _MODEL_HINT)
        return path / CHECKPOINT
    if path.is_file():
        if path.suffix.lower() in (".yaml", ".yml"):
            return checkpoint_file(path.parent)
        return path
    raise ModelNotFound(f"the pyannote model {path} does not exist", _MODEL_HINT)


def _looks_like_repo_id(raw: str) -> bool:
    parts = raw.split("/")
    return len(parts) == 2 and all(p and not p.startswith(".") for p in parts) and not raw.startswith(("~", "/"))


# --------------------------------------------------------------------------------------------- encoder


def _import_pyannote() -> tuple[Any, Any]:
    # pyannote.audio 4 reports every model load to otel.pyannote.ai unless told not to; RTSTT keeps everything
    # on the machine. An explicit PYANNOTE_METRICS_ENABLED from the user still wins.
    if "pyannote.audio" not in sys.modules:
        os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    try:
        import torch
        from pyannote.audio import Model
    except ImportError as exc:
        raise RtsttError(
            f"the pyannote speaker backend needs the pyannote.audio package ({exc.name or exc} is missing)",
            f"{setup_hint('pyannote')}; or choose the ge2e backend in Settings",
        ) from exc
    return torch, Model


class PyannoteEncoder:
    """Voice prints from a pyannote embedding model, on CUDA when there is one, else the CPU."""

    def __init__(self, model: str | Path = "", device: str | None = None) -> None:
        self.path = checkpoint_file(model)
        torch, Model = _import_pyannote()
        self._torch = torch
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        try:
            loaded = Model.from_pretrained(self.path, map_location=self.device)
        except Exception as exc:  # a pickle error, a missing key, a version check: all mean "not loadable"
            raise ModelNotFound(
                f"{self.path} is not a loadable pyannote checkpoint ({type(exc).__name__}: {first_line(exc)})",
                _MODEL_HINT,
            ) from exc
        if loaded is None:
            raise ModelNotFound(f"{self.path} did not load as a pyannote model", _MODEL_HINT)
        self.model = loaded.eval().to(self.device)
        self.min_samples = self._check_and_find_min_samples()  # also the warm-up: not mid-meeting

    @property
    def dimension(self) -> int:
        return int(self.model.dimension)

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """A 1-D float32 voice print of 16 kHz mono speech. Audio shorter than the model's minimum is padded
        by repeating it (silence would skew the statistics pooling); under `MIN_AUDIO_S` it is refused."""
        x = np.asarray(audio, dtype=np.float32).reshape(-1)
        if len(x) < MIN_AUDIO_S * SAMPLE_RATE:
            raise ValueError(f"{len(x)} samples are too short for a voice print (at least {MIN_AUDIO_S} s)")
        if len(x) < self.min_samples:
            x = np.resize(x, self.min_samples)  # np.resize repeats the data
        peak = float(np.max(np.abs(x)))
        if peak > 0:
            x = x / peak * 0.9  # level-independent voice prints, as the GE2E path does
        return self._run(x)[0]

    def _check_and_find_min_samples(self) -> int:
        """Refuse a model that is not a speaker embedder; then find the shortest input that still gives a finite
        embedding (too few frames raise, or give NaN from a one-frame standard deviation)."""
        probe = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32) * 0.1
        kind = type(self.model).__name__
        try:
            out = self._run(probe, quiet=True)
        except Exception as exc:
            raise ModelNotFound(f"{self.path} ({kind}) fails on 1 s of audio: {first_line(exc)}", _MODEL_HINT) from exc
        if out.ndim != 2 or out.shape[0] != 1 or not np.isfinite(out).all():
            raise ModelNotFound(f"{self.path} holds a pyannote {kind}, not a speaker-embedding model", _MODEL_HINT)
        step = SAMPLE_RATE // 100  # 10 ms resolution: ~7 passes instead of 14, each new shape costs a warm-up
        lower, upper = 0, SAMPLE_RATE // step  # in steps; `upper` works, find the smallest that does
        while lower + 1 < upper:
            middle = (lower + upper) // 2
            try:
                ok = bool(np.isfinite(self._run(probe[: middle * step], quiet=True)).all())
            except Exception:
                ok = False
            lower, upper = (lower, middle) if ok else (middle, upper)
        return upper * step

    def _run(self, x: np.ndarray, quiet: bool = False) -> np.ndarray:
        """The model's output for one waveform, as float32 numpy (batch, dimension)."""
        import warnings

        torch = self._torch
        wav = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None, None].to(self.device)
        with warnings.catch_warnings():
            if quiet:  # the search provokes pyannote's "degrees of freedom <= 0" warnings on purpose
                warnings.simplefilter("ignore")
            with torch.inference_mode():
                out = self.model(wav)
        return out.float().cpu().numpy()


# --------------------------------------------------------------------------------------------- download

ProgressFn = Callable[[int, int], None]


def download_pyannote_model(
    repo_id: str = DEFAULT_REPO,
    token: str | None = None,
    dest: Path | None = None,
    hub: Hub | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Fetch a pyannote checkpoint repo into `dest` (default `default_model_dir(repo_id)`); returns the folder.

    With no `hub`, huggingface.co is used with `token`, else the one saved in the keyring (or HF_TOKEN): the
    pyannote models are gated. Tests and mirrors pass a `LocalFolderHub`. A partial download never becomes
    visible: files land in a hidden folder beside `dest`, which is renamed into place at the end.
    """
    from rtstt.models.hub import HuggingFaceHub, _download_errors

    dest = Path(dest) if dest is not None else default_model_dir(repo_id)
    if hub is None:
        if token is None:
            from rtstt.secrets import get_hf_token

            token = get_hf_token()
        hub = HuggingFaceHub(token=token)
    wanted = [CHECKPOINT, *OPTIONAL_FILES]
    try:
        sizes = hub.file_sizes(repo_id, wanted)
    except RtsttError:
        raise
    except _download_errors() as exc:
        raise _hub_error(exc, repo_id, token) from exc
    if CHECKPOINT not in sizes:
        raise ModelDownloadError(
            f"{repo_id} has no {CHECKPOINT}: it is not a pyannote model repository",
            f"use a speaker-embedding model such as {DEFAULT_REPO}",
        )
    files = [f for f in wanted if f in sizes]
    total, done = sum(sizes[f] for f in files), 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    except OSError as exc:
        raise OutputError(f"cannot write to {dest.parent}: {exc.strerror or exc}", "check permissions") from exc
    try:
        for name in files:
            try:
                hub.download(repo_id, name, tmp / name, on_bytes, cancel)
            except RtsttError:
                raise
            except _download_errors() as exc:
                raise _hub_error(exc, repo_id, token) from exc
            if cancel is not None and cancel.is_set():
                raise ModelDownloadError(f"download of {repo_id} cancelled", "start it again to restart it")
            if (tmp / name).stat().st_size != sizes[name]:
                raise ModelDownloadError(f"download of {repo_id} failed: {name} arrived incomplete", "try again")
        try:
            install(tmp, dest)
        except OSError as exc:
            msg = f"cannot install {repo_id} into {dest}: {exc.strerror or exc}"
            raise OutputError(msg, "check free disk space and permissions") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest.resolve()


def _hub_error(exc: BaseException, repo_id: str, token: str | None) -> RtsttError:
    """Turn a Hub failure into what the user can do about it: a token, access to the gated repo, or the network."""
    kinds = {c.__name__ for c in type(exc).__mro__}
    status = getattr(getattr(exc, "response", None), "status_code", None)
    token_hint = _TOKEN_HINT.format(repo=repo_id)
    denied = "GatedRepoError" in kinds or status in (401, 403)
    if (denied or "RepositoryNotFoundError" in kinds) and not token:
        msg = f"{repo_id} needs a Hugging Face token to download (pyannote models are gated)"
        return ModelDownloadError(msg, f"{token_hint}; check the name too, e.g. {DEFAULT_REPO}")
    if denied:
        return ModelDownloadError(
            f"this Hugging Face token has no access to {repo_id}",
            f"open https://huggingface.co/{repo_id} logged in as the token's owner and accept the user conditions; "
            "check that the token can read gated repositories",
        )
    if "RepositoryNotFoundError" in kinds:
        return ModelDownloadError(f"{repo_id} does not exist on the Hub", f"check the name, e.g. {DEFAULT_REPO}")
    return ModelDownloadError(
        f"cannot download {repo_id}: {first_line(exc)}",
        "check the internet connection, or copy a checkpoint folder (pytorch_model.bin + config.yaml) and choose it",
    )


def open_encoder(model: str = "", status: Callable[[str], None] | None = None, hub: Hub | None = None):
    """The encoder for the `speakers.pyannote_model` setting. When it names no local model (empty, or a repo
    id not downloaded yet) and a Hugging Face token is saved, the model is downloaded first, with progress
    through `status`; without a token the ModelNotFound says how to get one."""
    raw = model.strip()
    try:
        return PyannoteEncoder(raw)
    except ModelNotFound:
        wants_repo = not raw or (_looks_like_repo_id(raw) and not Path(raw).expanduser().exists())
        if not wants_repo:
            raise
        from rtstt.secrets import get_hf_token

        if hub is None and not get_hf_token():
            raise
    repo = raw or DEFAULT_REPO

    def progress(done: int, total: int) -> None:
        if status is not None and total:
            status(f"downloading {repo}: {100 * done / total:.0f}%")

    download_pyannote_model(repo, hub=hub, progress=progress)
    return PyannoteEncoder(repo)
