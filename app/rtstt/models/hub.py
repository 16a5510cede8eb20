"""Where model files come from: the Hugging Face Hub, or a local folder laid out like it.

`fetch` in the manager talks only to the `Hub` protocol, so a mirror folder (or a test) can stand in
for huggingface.co, and progress and cancel work the same everywhere: files are streamed in chunks.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

_CHUNK = 1 << 20


class Hub(Protocol):
    """Where `fetch` gets model files from: huggingface.co in the app, a local folder in tests or for mirrors."""

    def file_sizes(self, repo_id: str, files: Iterable[str]) -> dict[str, int]:
        """Sizes in bytes of those `files` that the repository has; absent files are left out."""
        ...

    def download(
        self,
        repo_id: str,
        filename: str,
        dest: Path,
        on_bytes: Callable[[int], None],
        cancel: threading.Event | None,
    ) -> None:
        """Write the file to `dest`, calling `on_bytes(n)` per chunk; return early once `cancel` is set."""
        ...


class _ChunkedHub:
    """What every real hub does in `download`: open the file as a stream of chunks and write them to `dest`.

    Subclasses say only how to open the stream (`_chunks`), so progress, cancel and fsync work the same.
    """

    def download(
        self,
        repo_id: str,
        filename: str,
        dest: Path,
        on_bytes: Callable[[int], None],
        cancel: threading.Event | None,
    ) -> None:
        with self._chunks(repo_id, filename) as chunks, open(dest, "wb") as out:
            for chunk in chunks:
                if cancel is not None and cancel.is_set():
                    return
                if chunk:
                    out.write(chunk)
                    on_bytes(len(chunk))
            out.flush()
            os.fsync(out.fileno())

    def _chunks(self, repo_id: str, filename: str) -> AbstractContextManager[Iterable[bytes]]:
        """The file's bytes in chunks, opened (and its status checked) before `dest` is created."""
        raise NotImplementedError


class LocalFolderHub(_ChunkedHub):
    """A Hub laid out as `root/<repo_id>/<file>`: a mirror on a share or USB stick, and the test double."""

    def __init__(self, root: Path, chunk_size: int = 1 << 16) -> None:
        self.root = Path(root)
        self.chunk_size = chunk_size

    def file_sizes(self, repo_id: str, files: Iterable[str]) -> dict[str, int]:
        repo = self.root / repo_id
        if not repo.is_dir():
            raise FileNotFoundError(f"{repo} does not exist")
        return {f: (repo / f).stat().st_size for f in files if (repo / f).is_file()}

    @contextmanager
    def _chunks(self, repo_id: str, filename: str) -> Iterator[Iterable[bytes]]:
        with open(self.root / repo_id / filename, "rb") as src:
            yield iter(lambda: src.read(self.chunk_size), b"")


class HuggingFaceHub(_ChunkedHub):
    """huggingface.co (or `HF_ENDPOINT`), streamed chunk by chunk so progress and cancel work mid-file.

    Uses huggingface_hub's own HTTP session: httpx-style from huggingface_hub 1.x, requests before that.
    """

    def __init__(
        self,
        token: str | None = None,
        endpoint: str | None = None,
        revision: str | None = None,
        chunk_size: int = _CHUNK,
        timeout_s: float = 30.0,
    ) -> None:
        self.token = token
        self.endpoint = endpoint
        self.revision = revision
        self.chunk_size = chunk_size
        self.timeout_s = timeout_s

    def _token(self) -> str | None:
        # None lets huggingface_hub fall back to its saved login; HF_TOKEN wins over both.
        return os.environ.get("HF_TOKEN") or self.token or None

    def file_sizes(self, repo_id: str, files: Iterable[str]) -> dict[str, int]:
        from huggingface_hub import HfApi

        api = HfApi(endpoint=self.endpoint, token=self._token())
        infos = api.get_paths_info(repo_id, list(files), revision=self.revision)
        return {i.path: int(i.size) for i in infos if getattr(i, "size", None) is not None}

    @contextmanager
    def _chunks(self, repo_id: str, filename: str) -> Iterator[Iterable[bytes]]:
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils import build_hf_headers, get_session

        url = hf_hub_url(repo_id, filename, revision=self.revision, endpoint=self.endpoint)
        headers = build_hf_headers(token=self._token())
        session: Any = get_session()
        if hasattr(session, "stream"):  # httpx client (huggingface_hub >= 1.0)
            with session.stream("GET", url, headers=headers, follow_redirects=True, timeout=self.timeout_s) as resp:
                _raise_for_status(resp)
                yield resp.iter_bytes(self.chunk_size)
        else:  # requests session
            with session.get(url, headers=headers, stream=True, timeout=self.timeout_s) as resp:
                _raise_for_status(resp)
                yield resp.iter_content(self.chunk_size)


def _raise_for_status(resp: Any) -> None:
    try:
        from huggingface_hub.utils import hf_raise_for_status
    except ImportError:  # pragma: no cover - very old huggingface_hub
        resp.raise_for_status()
        return
    hf_raise_for_status(resp)


def _download_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'the network or the Hub failed', from whichever HTTP stack is loaded."""
    errors: list[type[BaseException]] = [OSError]
    for module, attr in (
        ("huggingface_hub.errors", "HfHubHTTPError"),
        ("huggingface_hub.errors", "LocalEntryNotFoundError"),
        ("httpx", "HTTPError"),
        ("httpx", "StreamError"),
        ("httpx2", "HTTPError"),
        ("httpx2", "StreamError"),
        ("requests", "RequestException"),
    ):
        mod = sys.modules.get(module)
        cls = getattr(mod, attr, None) if mod is not None else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            errors.append(cls)
    return tuple(errors)
