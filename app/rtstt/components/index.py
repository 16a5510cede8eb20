"""Where component wheels come from: a package index (the Simple API: JSON, PEP 691, or HTML, PEP 503) or a
folder of wheels.

Both answer one question, "which file is name==version for this interpreter?", choosing the wheel whose
tags rank best for the running Python (`packaging.tags.sys_tags`), so the pick matches pip's.
"""

from __future__ import annotations

import json
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol

from packaging.tags import Tag, sys_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from rtstt.errors import ComponentError

_CHUNK = 1 << 20
_TIMEOUT_S = 30
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True, slots=True)
class WheelRef:
    name: str
    version: str
    filename: str
    url: str  # https://... or file://...
    sha256: str | None
    size: int | None


class WheelSource(Protocol):
    def find(self, name: str, version: str) -> WheelRef | None:
        """The best wheel of name==version for this interpreter, or None."""
        ...


def best_wheel(candidates: Iterable[WheelRef], tags: list[Tag] | None = None) -> WheelRef | None:
    rank = {tag: i for i, tag in enumerate(tags if tags is not None else sys_tags())}
    best: tuple[int, WheelRef] | None = None
    for ref in candidates:
        try:
            _, _, _, wheel_tags = parse_wheel_filename(ref.filename)
        except InvalidWheelFilename:
            continue
        score = min((rank[t] for t in wheel_tags if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, ref)
    return best[1] if best else None


def _matches(filename: str, name: str, version: str) -> bool:
    try:
        wname, wversion, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    try:
        return wname == canonicalize_name(name) and wversion == Version(version)
    except InvalidVersion:
        return False


def ssl_context() -> ssl.SSLContext:
    """The operating system's trust store (truststore), so a company's TLS-inspecting proxy works as it does
    in the browser; else OpenSSL's default roots, and certifi's only when those are empty (a frozen build
    whose OpenSSL looks for roots in a folder that does not exist on this machine)."""
    try:
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    except ImportError:
        pass
    context = ssl.create_default_context()
    if not context.cert_store_stats().get("x509_ca"):
        try:
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
        except ImportError:
            pass
    return context


def _open(url: str, headers: dict[str, str] | None = None, timeout: float = _TIMEOUT_S):
    request = urllib.request.Request(url, headers={"User-Agent": "rtstt", **(headers or {})})
    context = ssl_context() if url.startswith("https:") else None
    return urllib.request.urlopen(request, timeout=timeout, context=context)


class SimpleIndex:
    """A PEP 691 index: https://pypi.org/simple, a company mirror, or the local server in tests."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def __repr__(self) -> str:
        return self.url

    def find(self, name: str, version: str) -> WheelRef | None:
        return best_wheel(self.candidates(name, version))

    def candidates(self, name: str, version: str) -> list[WheelRef]:
        """Every wheel of name==version on the index, for any platform."""
        page = f"{self.url}/{canonicalize_name(name)}/"
        try:
            with _open(page, {"Accept": f"{SIMPLE_JSON}, text/html;q=0.1"}) as resp:
                body = resp.read()
                kind = resp.headers.get("Content-Type", "")
            data = json.loads(body) if "json" in kind else {"files": _html_files(body.decode("utf-8", "replace"))}
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise ComponentError(f"{page} answered {exc.code} {exc.reason}", "try again later") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ComponentError(
                f"cannot reach the package index {self.url}: {reason}",
                "check the internet connection (or install from a folder of wheels: --from)",
            ) from exc
        except ValueError as exc:
            raise ComponentError(f"{page} is not a package index page", "check the index address") from exc
        refs = []
        for entry in data.get("files", ()):
            filename = entry.get("filename", "")
            if entry.get("yanked") or not filename.endswith(".whl") or not _matches(filename, name, version):
                continue
            url = urllib.parse.urljoin(page, entry["url"])
            refs.append(
                WheelRef(name, version, filename, url, (entry.get("hashes") or {}).get("sha256"), entry.get("size"))
            )
        return refs


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[dict] = []
        self._href: str | None = None
        self._yanked = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            self._href, self._yanked = found.get("href"), "data-yanked" in found

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            url, _, fragment = self._href.partition("#")
            algo, _, digest = fragment.partition("=")
            hashes = {algo: digest} if digest else {}
            self.files.append({"filename": data.strip(), "url": url, "hashes": hashes, "yanked": self._yanked})
            self._href = None


def _html_files(text: str) -> list[dict]:
    """PEP 503 pages (mirrors and the PyTorch index serve HTML): anchors whose fragment is the hash."""
    parser = _Anchors()
    parser.feed(text)
    return parser.files


class WheelFolder:
    """A folder of .whl files (a USB stick, a share): installs with no network at all."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise ComponentError(f"{self.root} is not a folder", "point --from at a folder of .whl files")

    def __repr__(self) -> str:
        return str(self.root)

    def find(self, name: str, version: str) -> WheelRef | None:
        refs = [
            WheelRef(name, version, p.name, p.resolve().as_uri(), None, p.stat().st_size)
            for p in self.root.glob("*.whl")
            if _matches(p.name, name, version)
        ]
        return best_wheel(refs)


def find_wheel(sources: list[WheelSource], name: str, version: str) -> WheelRef:
    for source in sources:
        ref = source.find(name, version)
        if ref is not None:
            return ref
    where = ", ".join(map(repr, sources))
    raise ComponentError(
        f"no wheel of {name}=={version} for this computer in {where}",
        "this build's components need that exact version; install from a folder that has it (--from)",
    )


def stream(ref: WheelRef, offset: int = 0, cancel: threading.Event | None = None) -> tuple[int, Iterator[bytes]]:
    """(where the chunks start, chunks): resumes at `offset` where the server allows it, else starts at 0."""
    if ref.url.startswith("file:"):
        path = Path(urllib.request.url2pathname(urllib.parse.urlparse(ref.url).path))
        return offset, _file_chunks(path, offset, cancel)
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        resp = _open(ref.url, headers)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ComponentError(
            f"cannot download {ref.filename}: {getattr(exc, 'reason', exc)}",
            "check the internet connection and try again; finished parts are kept",
        ) from exc
    if offset and resp.status != 206:
        offset = 0
    return offset, _chunks(resp, cancel)


def _file_chunks(path: Path, offset: int, cancel: threading.Event | None) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(offset)
        yield from _chunks(handle, cancel)


def _chunks(handle, cancel: threading.Event | None) -> Iterator[bytes]:
    with handle:
        while cancel is None or not cancel.is_set():
            chunk = handle.read(_CHUNK)
            if not chunk:
                return
            yield chunk


ProgressFn = Callable[[int, int, str], None]  # (bytes done, bytes total, what)
