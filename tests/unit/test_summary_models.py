"""Summary models in the model manager: the registry, a fetch from a local mirror with progress, listing,
verify, and resolving the downloaded model by name the way the summary loads it; the CLI's list.

The hub is a LocalFolderHub holding a small fake .gguf, so no test touches the network.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import pytest

from rtstt.errors import ModelDownloadError, ModelNotFound
from rtstt.models.hub import LocalFolderHub
from rtstt.models.manager import ModelManager
from rtstt.models.nlp_models import summary_gguf_file, summary_model_path
from rtstt.models.registry import (
    RECOMMENDED_SUMMARY,
    all_specs,
    find_spec,
    find_summary_spec,
    get_spec,
    summary_specs,
)

QWEN = "qwen2.5-1.5b-instruct"
QWEN_REPO = "Qwen/Qwen2.5-1.5B-Instruct-GGUF"
QWEN_FILE = "qwen2.5-1.5b-instruct-q4_k_m.gguf"


def fake_gguf(path: Path, size: int = 200_000) -> Path:
    """A file that starts like a GGUF file (magic, version 3): enough for the download and its checks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = b"GGUF" + (3).to_bytes(4, "little")
    path.write_bytes(head + bytes(i % 251 for i in range(size - len(head))))
    return path


def make_mirror(root: Path, repo: str = QWEN_REPO, file: str = QWEN_FILE, size: int = 200_000) -> Path:
    fake_gguf(root / repo / file, size)
    return root


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    return make_mirror(tmp_path / "mirror")


@pytest.fixture
def manager(tmp_path: Path, mirror: Path) -> ModelManager:
    hub = LocalFolderHub(mirror, chunk_size=8192)
    return ModelManager(models_dir=tmp_path / "models", search_dirs=[], hub=hub, hf_cache_dir=tmp_path / "hf")


# ------------------------------------------------------------------------------------------ registry


def test_registry_offers_summary_models_with_size_and_licence() -> None:
    specs = {s.name: s for s in summary_specs()}
    assert summary_specs()[0].name == RECOMMENDED_SUMMARY == QWEN
    qwen = specs[QWEN]
    assert (qwen.repo_id, qwen.files, qwen.licence, qwen.kind) == (QWEN_REPO, (QWEN_FILE,), "Apache-2.0", "summary")
    assert 1000 < qwen.size_mb < 1200 and qwen.title == "Qwen2.5-1.5B"
    llama = specs["llama-3.2-3b-instruct"]
    assert llama.repo_id == "bartowski/Llama-3.2-3B-Instruct-GGUF"
    assert llama.files == ("Llama-3.2-3B-Instruct-Q4_K_M.gguf",)
    assert llama.licence == "Llama 3.2 Community License"
    assert specs["smollm2-1.7b-instruct"].files == ("smollm2-1.7b-instruct-q4_k_m.gguf",)
    assert find_summary_spec("Qwen2.5-1.5B-Instruct") is qwen
    assert find_summary_spec(QWEN_REPO) is qwen
    # Whisper lookups never find a summary model, and every Whisper model has a licence too.
    assert find_spec(QWEN) is None and QWEN not in {s.name for s in all_specs()}
    assert all(s.kind == "whisper" and s.licence for s in all_specs())
    with pytest.raises(ModelNotFound):
        get_spec(QWEN)


# ------------------------------------------------------------------------------------------ fetch


def test_fetch_a_summary_model_with_progress_then_resolve_it_by_name(manager: ModelManager, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = manager.fetch(QWEN, progress=lambda done, total: seen.append((done, total)))

    llm = tmp_path / "models" / "llm"
    assert path == (llm / QWEN).resolve()
    assert (path / QWEN_FILE).read_bytes()[:4] == b"GGUF"
    assert seen[0] == (0, 200_000) and seen[-1] == (200_000, 200_000)
    assert len(seen) > 3  # chunk by chunk
    assert [p.name for p in llm.iterdir()] == [QWEN]  # no staging folder left behind
    assert manager.verify(QWEN) == []

    listed = {m.name: m for m in manager.installed_summary()}
    assert listed[QWEN].path == path and listed[QWEN].source == "app"
    assert listed[QWEN].size_mb == pytest.approx(0.2)
    assert QWEN not in {m.name for m in manager.installed()}  # not a Whisper model

    location = summary_model_path(QWEN, llm)
    assert (location.name, location.path, location.gguf_file) == (QWEN, llm / QWEN, QWEN_FILE)
    assert summary_gguf_file(QWEN, llm) == llm / QWEN / QWEN_FILE
    assert summary_gguf_file("Qwen2.5-1.5B-Instruct", llm) == llm / QWEN / QWEN_FILE

    # A second fetch finds it in place and downloads nothing.
    again: list[tuple[int, int]] = []
    assert manager.fetch(QWEN, progress=lambda d, t: again.append((d, t))) == path
    assert again == [(200_000, 200_000)]


def test_the_default_models_folder_is_where_the_summary_looks(tmp_path: Path, mirror: Path) -> None:
    """Without a models_dir, the manager and summary_model_path agree on `<RTSTT_HOME models>/llm`."""
    manager = ModelManager(search_dirs=[], hub=LocalFolderHub(mirror), hf_cache_dir=tmp_path / "hf")
    manager.fetch(QWEN)
    assert summary_gguf_file(QWEN) == manager.summary_dir / QWEN / QWEN_FILE
    assert summary_model_path(QWEN).source == "app"


def test_a_summary_model_not_downloaded_says_how_to_get_it(tmp_path: Path, manager: ModelManager) -> None:
    with pytest.raises(ModelNotFound) as err:
        summary_model_path("llama-3.2-3b-instruct", tmp_path / "models" / "llm")
    assert "not downloaded" in err.value.message
    assert "rtstt models fetch llama-3.2-3b-instruct" in err.value.hint
    with pytest.raises(ModelNotFound):
        manager.verify("llama-3.2-3b-instruct")


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    (root / QWEN_REPO).mkdir(parents=True)
    (root / QWEN_REPO / QWEN_FILE).write_bytes(b"<html>rate limited</html>")
    manager = ModelManager(models_dir=tmp_path / "models", search_dirs=[], hub=LocalFolderHub(root))
    with pytest.raises(ModelDownloadError) as err:
        manager.fetch(QWEN)
    assert "not a GGUF file" in err.value.message
    assert not (tmp_path / "models" / "llm" / QWEN).exists()


def test_a_mirror_without_the_file_says_so(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    (root / QWEN_REPO).mkdir(parents=True)
    manager = ModelManager(models_dir=tmp_path / "models", search_dirs=[], hub=LocalFolderHub(root))
    with pytest.raises(ModelDownloadError) as err:
        manager.fetch(QWEN)
    assert QWEN_FILE in err.value.message


def test_cancel_leaves_nothing(manager: ModelManager, tmp_path: Path) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done > 0:
            cancel.set()

    with pytest.raises(ModelDownloadError, match="cancelled"):
        manager.fetch(QWEN, progress=progress, cancel=cancel)
    assert [p.name for p in (tmp_path / "models" / "llm").iterdir()] == []


def test_a_gguf_folder_the_user_put_there_is_listed(manager: ModelManager, tmp_path: Path) -> None:
    fake_gguf(tmp_path / "models" / "llm" / "my-model" / "mine.Q4_K_M.gguf", 1000)
    (tmp_path / "models" / "llm" / "empty").mkdir()
    names = [m.name for m in manager.installed_summary()]
    assert "my-model" in names and "empty" not in names
    assert summary_gguf_file("my-model", tmp_path / "models" / "llm").name == "mine.Q4_K_M.gguf"


# ------------------------------------------------------------------------------------------ CLI


def test_cli_lists_and_fetches_summary_models(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rtstt.cli import manage

    hub = LocalFolderHub(mirror)
    real = ModelManager

    def fake_manager(*args, **kwargs) -> ModelManager:
        return real(*args, hub=hub, search_dirs=[], hf_cache_dir=tmp_path / "hf", **kwargs)

    monkeypatch.setattr("rtstt.models.manager.ModelManager", fake_manager)
    assert manage.cmd_models(argparse.Namespace(models_command="list")) == 0
    out = capsys.readouterr().out
    assert "summary models to fetch" in out
    line = next(line for line in out.splitlines() if QWEN in line)
    assert "1117 MB" in line and "Apache-2.0" in line and QWEN_REPO in line and "recommended" in line
    assert "Llama 3.2 Community License" in out

    assert manage.cmd_models(argparse.Namespace(models_command="fetch", name=QWEN)) == 0
    captured = capsys.readouterr()
    assert f"{QWEN} ready in" in captured.out and "MB" in captured.err
    assert manage.cmd_models(argparse.Namespace(models_command="list")) == 0
    out = capsys.readouterr().out
    installed = out.split("summary models installed:")[1].split("summary models to fetch")[0]
    assert QWEN in installed
    assert manage.cmd_models(argparse.Namespace(models_command="verify", name=QWEN)) == 0
