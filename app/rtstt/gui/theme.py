"""Light and dark palettes on Qt's Fusion style, plus one small stylesheet: calm, flat, one accent colour.

"system" follows the OS colour scheme (Qt 6.5+ reports it through QStyleHints), so the app matches the
desktop without the user choosing.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colors:
    window: str
    base: str
    text: str
    muted: str
    accent: str
    border: str
    banner_bg: str
    banner_text: str
    highlight: str


LIGHT = Colors("#f6f7f9", "#ffffff", "#1d2430", "#8a93a3", "#2f6fde", "#dde1e7", "#fff4e5", "#7a4100", "#ffe58a")
DARK = Colors("#1e2127", "#16181d", "#e4e7ec", "#7d8594", "#5b9bff", "#30343c", "#3a2a14", "#ffd39a", "#6b5a12")
SPEAKER_COLORS = ("#2f6fde", "#d9480f", "#2b8a3e", "#ae3ec9", "#e8590c", "#1098ad", "#c2255c", "#5c940d")


def speaker_color(speaker: str, colors: tuple[str, ...] = SPEAKER_COLORS) -> str:
    """S1, S2, ... take the palette in order; other ids a stable colour of their own."""
    digits = "".join(ch for ch in speaker if ch.isdigit())
    index = int(digits) - 1 if digits else sum(map(ord, speaker))
    return colors[index % len(colors)]


def is_dark(theme: str) -> bool:
    if theme == "dark":
        return True
    if theme == "light":
        return False
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def colors(theme: str) -> Colors:
    return DARK if is_dark(theme) else LIGHT


def apply_theme(app: QApplication, theme: str = "system") -> Colors:
    """Fusion with the theme's palette and style sheet. Each setter re-polishes every widget in the
    process, so only what changed is set: a second window (or Settings applied without a theme change)
    touches nothing. Re-polishing on every window was also where the GUI tests crashed in Qt, once, while
    an earlier test's widgets were being torn down."""
    c = colors(theme)
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    pal = QPalette()
    for role, value in (
        (QPalette.ColorRole.Window, c.window),
        (QPalette.ColorRole.Base, c.base),
        (QPalette.ColorRole.AlternateBase, c.window),
        (QPalette.ColorRole.Text, c.text),
        (QPalette.ColorRole.WindowText, c.text),
        (QPalette.ColorRole.Button, c.window),
        (QPalette.ColorRole.ButtonText, c.text),
        (QPalette.ColorRole.ToolTipBase, c.base),
        (QPalette.ColorRole.ToolTipText, c.text),
        (QPalette.ColorRole.PlaceholderText, c.muted),
        (QPalette.ColorRole.Highlight, c.accent),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.Link, c.accent),
    ):
        pal.setColor(role, QColor(value))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(c.muted))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(c.muted))
    if app.palette() != pal:
        app.setPalette(pal)
    sheet = f"""
        QToolBar {{ border: none; padding: 4px; spacing: 6px; background: {c.window}; }}
        QToolBar QToolButton {{ padding: 4px 10px; border-radius: 6px; }}
        QToolBar QToolButton:hover {{ background: {c.border}; }}
        QToolButton#startButton {{ background: {c.accent}; color: white; font-weight: 600; }}
        QToolButton#startButton:checked {{ background: #d9480f; }}
        QComboBox {{ padding: 3px 8px; border: 1px solid {c.border}; border-radius: 6px; background: {c.base}; }}
        QTextEdit#transcript {{ border: none; background: {c.base}; padding: 12px 18px; }}
        QDockWidget::title {{ padding: 6px; color: {c.muted}; }}
        QFrame#banner {{ background: {c.banner_bg}; border-bottom: 1px solid {c.border}; }}
        QLabel#bannerText {{ color: {c.banner_text}; }}
        QFrame#searchBar {{ border-top: 1px solid {c.border}; background: {c.window}; }}
        QPushButton#jumpToLive {{ background: {c.accent}; color: white; border-radius: 12px; padding: 4px 12px; }}
        QLabel.muted, QLabel[muted="true"] {{ color: {c.muted}; }}
        QStatusBar QLabel {{ color: {c.muted}; padding: 0 6px; }}
        """
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)
    return c
