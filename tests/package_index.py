"""Test doubles for where components come from: real wheels built here, served by a real local HTTP
index that speaks the Simple API (PEP 691 JSON, or PEP 503 HTML) with byte ranges, like PyPI and its mirrors.

Knobs for the failures users meet: `cut_after` ends a download early (a dropped connection), `corrupt`
serves different bytes than the index's hash promises, `html` serves PEP 503 pages instead of JSON.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename


def make_wheel(folder: Path, name: str, version: str, files: dict[str, str], tag: str = "py3-none-any") -> Path:
    """A valid wheel (PEP 427: WHEEL, METADATA and a RECORD with hashes) holding `files` (path -> text)."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    contents = dict(files)
    contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    contents[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: rtstt-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
    record = []
    for path, text in contents.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = "\n".join(record) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, text in contents.items():
            zf.writestr(path, text)
    return out


class PackageIndex:
    """`with PackageIndex(folder) as index:` serves folder/*.whl at `index.url` (…/simple)."""

    def __init__(self, folder: Path, html: bool = False) -> None:
        self.folder = Path(folder)
        self.html = html
        self.cut_after: dict[str, int] = {}  # filename -> bytes sent before the connection drops
        self.corrupt: set[str] = set()
        self.requests: list[tuple[str, str]] = []  # (path, Range header)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}/simple"

    def __enter__(self) -> PackageIndex:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _page(self, project: str) -> tuple[str, bytes] | None:
        wheels = [p for p in sorted(self.folder.glob("*.whl")) if parse_wheel_filename(p.name)[0] == project]
        if not wheels:
            return None
        files = []
        for p in wheels:
            data = p.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            files.append(
                {"filename": p.name, "url": f"../../files/{p.name}", "hashes": {"sha256": sha}, "size": len(data)}
            )
        if self.html:
            links = "".join(
                f'<a href="{f["url"]}#sha256={f["hashes"]["sha256"]}">{f["filename"]}</a><br/>' for f in files
            )
            return "text/html", f"<!DOCTYPE html><html><body>{links}</body></html>".encode()
        page = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
        return "application/vnd.pypi.simple.v1+json", json.dumps(page).encode()

    def _handler(self):
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                index.requests.append((self.path, self.headers.get("Range", "")))
                parts = self.path.strip("/").split("/")
                if len(parts) == 2 and parts[0] == "simple":
                    found = index._page(canonicalize_name(parts[1]))
                    if found is None:
                        self.send_error(404)
                        return
                    kind, body = found
                    self.send_response(200)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif len(parts) == 2 and parts[0] == "files" and (index.folder / parts[1]).is_file():
                    self._file(parts[1])
                else:
                    self.send_error(404)

            def _file(self, name: str) -> None:
                data = (index.folder / name).read_bytes()
                if name in index.corrupt:
                    data = data[:-10] + b"0123456789"
                start = 0
                ranged = self.headers.get("Range", "")
                if ranged.startswith("bytes=") and ranged.endswith("-"):
                    start = int(ranged[6:-1])
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                cut = index.cut_after.pop(name, None)
                self.wfile.write(body if cut is None else body[:cut])
                if cut is not None:
                    self.close_connection = True

        return Handler
