"""How a model folder appears in the app's models folder: built in a hidden folder beside it, then renamed.

A download, an import or an assembled package is either fully in place or not there at all; a crash,
a cancel or a full disk leaves only a hidden `.<name>.*.partial` folder, never a half model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rtstt.errors import OutputError

DISK_HINT = "check free disk space and permissions"


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def temp_dir(models_dir: Path, name: str) -> Path:
    """A hidden work folder beside the final one, so the last step is a same-disk rename."""
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=models_dir))
    except OSError as exc:
        raise OutputError(
            f"cannot write to the models folder {models_dir}: {exc.strerror or exc}",
            "check permissions, or set RTSTT_HOME to a writable folder",
        ) from exc


@contextmanager
def staged(models_dir: Path, name: str) -> Iterator[Path]:
    """A `temp_dir` that is removed on the way out, whether or not it was installed."""
    tmp = temp_dir(models_dir, name)
    try:
        yield tmp
    finally:
        remove_tree(tmp)


@contextmanager
def disk_errors(message: str, hint: str = DISK_HINT) -> Iterator[None]:
    """Turn an OSError while writing a model folder into an OutputError: `message: <reason> (hint)`."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"{message}: {exc.strerror or exc}", hint) from exc


def install(tmp: Path, target: Path) -> None:
    """Move a finished folder into place; an older copy is swapped out, never left half-replaced."""
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model folder is ordinary readable data
    except OSError:
        pass
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        remove_tree(old)
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except OSError:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        remove_tree(old)
