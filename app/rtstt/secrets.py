"""Secrets (the Hugging Face token) live in the OS keyring, never in config files or logs.

Windows Credential Manager, macOS Keychain, or the Secret Service on Linux, through `keyring`.
A machine without any keyring backend gets a clear message instead of a plaintext fallback.
"""

from __future__ import annotations

import os

from rtstt.errors import SettingsError

SERVICE = "rtstt"
HF_TOKEN = "huggingface-token"


def _keyring():
    import keyring
    import keyring.errors

    return keyring, keyring.errors


def get_hf_token() -> str | None:
    """HF_TOKEN from the environment wins; else the keyring; else None (public models only)."""
    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"]
    keyring, errors = _keyring()
    try:
        return keyring.get_password(SERVICE, HF_TOKEN)
    except errors.KeyringError:
        return None


def set_hf_token(token: str) -> None:
    """Store (or with an empty token, forget) the token."""
    keyring, errors = _keyring()
    token = token.strip()
    try:
        if token:
            keyring.set_password(SERVICE, HF_TOKEN, token)
        else:
            try:
                keyring.delete_password(SERVICE, HF_TOKEN)
            except errors.PasswordDeleteError:
                pass
    except errors.KeyringError as exc:
        raise SettingsError(
            f"cannot store the token: no usable system keyring ({exc})",
            "unlock or install a keyring (e.g. GNOME Keyring), or set the HF_TOKEN environment variable",
        ) from exc
