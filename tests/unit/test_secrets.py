import keyring
import keyring.backend
import pytest

from rtstt import secrets
from rtstt.errors import SettingsError


def test_token_goes_to_the_keyring_and_back(memory_keyring, isolated_home):
    secrets.set_hf_token("  hf_abc123  ")
    assert memory_keyring.store[("rtstt", "huggingface-token")] == "hf_abc123"
    assert secrets.get_hf_token() == "hf_abc123"
    # and never into the user's config folder
    assert not any("hf_abc123" in p.read_text(errors="ignore") for p in isolated_home.rglob("*") if p.is_file())
    secrets.set_hf_token("")
    assert secrets.get_hf_token() is None


def test_environment_token_wins(memory_keyring, monkeypatch: pytest.MonkeyPatch):
    secrets.set_hf_token("hf_stored")
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    assert secrets.get_hf_token() == "hf_env"


def test_no_keyring_backend_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(SettingsError, match="no usable system keyring"):
            secrets.set_hf_token("hf_x")
        assert secrets.get_hf_token() is None
    finally:
        keyring.set_keyring(previous)
