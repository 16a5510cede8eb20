"""Small widget helpers shared by the dialogs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QPushButton


def make_button(text: str, name: str, slot: Callable[[], Any]) -> QPushButton:
    """A named push button; not auto-default, so Enter in a table never fires it by surprise."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAutoDefault(False)
    button.clicked.connect(slot)
    return button
