"""Typed errors that carry a user-facing message and a hint on how to fix it.

The CLI prints `str(err)` as one line and exits non-zero; the window shows it in a banner. No
traceback ever reaches the user for these.
"""

from __future__ import annotations


class RtsttError(Exception):
    """Base class: `message` says what went wrong, `hint` says what to do about it."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ModelNotFound(RtsttError):
    pass


class ModelDownloadError(RtsttError):
    pass


class AudioDeviceError(RtsttError):
    pass


class AudioFormatError(RtsttError):
    pass


class AudioEndedEarly(AudioFormatError):
    """A file that stopped decoding part-way (damaged, or cut off while it was written). Everything up
    to `at_s` seconds was transcribed and is kept: the CLI still writes its output, then prints this
    line and exits 2; the window shows it in its banner."""

    def __init__(self, at_s: float, reason: str, hint: str = "the transcript up to there is kept") -> None:
        super().__init__(f"ended early at {at_s:.1f} s: the file is damaged ({reason})", hint)
        self.at_s = at_s
        self.reason = reason


class OutputError(RtsttError):
    """An output path that cannot be written (missing folder, permissions, full disk)."""


class SettingsError(RtsttError):
    pass


class OutOfMemory(RtsttError):
    pass


class SessionError(RtsttError):
    pass


class ComponentError(RtsttError):
    """An optional component that cannot be found, downloaded or installed."""
