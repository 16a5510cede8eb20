"""The settings dialog: one page per section, built from a table of fields, validated by `rtstt.config`.

Every editor carries the dotted setting name as its objectName ("stt.model", "appearance.theme"), so the
main window and tests find them with `findChild`. The Hugging Face token is not a setting: it goes to the OS
keyring through `rtstt.secrets` and is never shown back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from rtstt import config, secrets
from rtstt.config import Settings
from rtstt.errors import RtsttError, SettingsError
from rtstt.vocab import LANGUAGES, SOURCE_LABELS

Items = Sequence[tuple[str, Any]]  # (shown label, stored value)

SUMMARY_HINT = "SmolLM2-135M-Instruct (offline fallback); better: a Qwen2.5-1.5B-Instruct .gguf file"
TOKEN_MASK = "\u2022" * 8  # stands in for a stored token; the real one is never read into the field
TOKEN_KEY = "speakers.hf_token"
ERROR_STYLE = "color: #c62828;"
NOTE_STYLE = "color: gray;"


@dataclass(frozen=True, slots=True)
class Field:
    """One editor. kind: check | int | float | choice | editable | text | folder.

    The range of a number and the values of a choice come from `config.BOUNDS` and `config.CHOICES`, the
    tables validation reads, so the dialog cannot offer what saving would refuse."""

    key: str  # "section.name" in Settings, also the widget's objectName
    label: str
    kind: str
    items: Items = ()  # an editable combo's suggestions
    labels: dict[str, str] = field(default_factory=dict)  # shown text of a choice's values (default: the value)
    step: float = 1
    suffix: str = ""
    special: str = ""  # shown for 0, which then means "automatic" or "no limit" ("all cores" for 0 threads)
    placeholder: str = ""
    tip: str = ""

    def choices(self) -> Items:
        return [(self.labels.get(v, v), v) for v in config.CHOICES[self.key]]

    def bounds(self) -> tuple[float, float]:
        low, high = config.BOUNDS[self.key]
        return (0 if self.special else low), high  # 0 is allowed beside the range when it has a meaning


class SettingsDialog(QDialog):
    """Edit, validate and save `Settings`. `settingsChanged(Settings)` fires after each successful save."""

    settingsChanged = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(720, 440)
        self.settings = settings
        self.fields: dict[str, QWidget] = {}
        self._page_of: dict[str, int] = {}  # setting key and section name -> stack index
        self._device_problems: list[str] = []

        self.sections = QListWidget(objectName="settingsSections")
        self.sections.setFixedWidth(150)
        self.stack = QStackedWidget(objectName="settingsPages")
        for title, page_fields in self._pages():
            self._add_page(title, page_fields)
        self.sections.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sections.setCurrentRow(0)
        self._add_extras()

        self.error = QLabel(objectName="settingsError", wordWrap=True, visible=False)
        self.error.setStyleSheet(ERROR_STYLE)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply,
            objectName="settingsButtons",
        )
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        self.buttons = buttons

        body = QHBoxLayout()
        body.addWidget(self.sections)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.set_values(settings.to_dict())

    # ------------------------------------------------------------------------------------------ the table

    def _pages(self) -> list[tuple[str, list[Field]]]:
        mics, loopbacks = self._device_items()
        folder_tip = "leave empty for the default"
        automatic = {"auto": "Automatic"}
        return [
            (
                "Audio",
                [
                    Field("audio.source", "Source", "choice", labels={"": "Automatic", **SOURCE_LABELS}),
                    Field("audio.device", "Microphone", "editable", mics, tip="a device id from `rtstt devices`"),
                    Field("audio.loopback_device", "System-audio device", "editable", loopbacks),
                    Field("audio.realtime", "Replay files in real time", "check"),
                ],
            ),
            (
                "Transcription",
                [
                    Field(
                        "stt.model",
                        "Model",
                        "editable",
                        self._model_items(),
                        placeholder="automatic (tiny.en for English, base otherwise)",
                        tip="a model name or the folder of a faster-whisper model",
                    ),
                    Field("stt.language", "Language", "editable", [(f"{c} — {n}", c) for c, n in LANGUAGES.items()]),
                    Field(
                        "stt.task",
                        "Task",
                        "choice",
                        labels={"transcribe": "Transcribe (the spoken language)", "translate": "Translate to English"},
                        tip="translation needs a multilingual model such as base; it applies at the next Start",
                    ),
                    Field(
                        "stt.vocabulary",
                        "Words to expect",
                        "text",
                        placeholder="Siobhan, Kubernetes, Grafana",
                        tip="names, products and jargon of your meetings, comma-separated: the recogniser spells them",
                    ),
                    Field("stt.device", "Device", "choice", labels={**automatic, "cpu": "CPU", "cuda": "CUDA GPU"}),
                    Field("stt.compute_type", "Compute type", "choice", labels=automatic),
                    Field("stt.threads", "CPU threads", "int", special="all cores"),
                    Field("stt.beam_size", "Beam size", "int", tip="1 is fastest; 5 is more accurate"),
                    Field(
                        "stt.partial_interval_s",
                        "Partial refresh",
                        "float",
                        step=0.05,
                        suffix=" s",
                        tip="how often the tentative text refreshes while someone speaks",
                    ),
                    Field("vad.threshold", "Speech threshold", "float", step=0.05),
                    Field("vad.min_silence_ms", "Pause that ends a phrase", "int", step=50, suffix=" ms"),
                ],
            ),
            (
                "Speakers",
                [
                    Field(
                        "speakers.my_name",
                        "Your name in calls",
                        "text",
                        placeholder="You",
                        tip="a call's microphone lines are yours: they show and export with this name",
                    ),
                    Field("speakers.enabled", "Tell speakers apart", "check"),
                    Field(
                        "speakers.backend",
                        "Voice prints",
                        "choice",
                        labels={
                            "auto": "Automatic (WeSpeaker when downloaded, else GE2E)",
                            "ge2e": "GE2E (offline)",
                            "wespeaker": "WeSpeaker",
                        },
                    ),
                    Field(
                        "speakers.model",
                        "WeSpeaker model",
                        "text",
                        placeholder="the downloaded WeSpeaker ResNet34 (Models › Speakers)",
                        tip="a WeSpeaker .onnx file or an installed speaker model's name; empty: the downloaded one",
                    ),
                    Field(
                        "speakers.count",
                        "Number of speakers",
                        "int",
                        special="automatic",
                        tip="how many people speak, when you know it; automatic finds it from the voices",
                    ),
                    Field(
                        "speakers.threshold",
                        "Surely-different similarity",
                        "float",
                        step=0.01,
                        tip="voices less similar than this are always different people (a lower bound on the "
                        "number found); the number itself comes from the session's voices",
                    ),
                    Field("speakers.max_speakers", "Maximum speakers", "int", special="no limit"),
                    Field("speakers.pyannote_model", "pyannote model folder", "folder", placeholder=folder_tip),
                ],
            ),
            (
                "Insights",
                [
                    Field("insights.enabled", "Show keywords", "check"),
                    Field("insights.window_minutes", "Recent window", "float", step=0.5, suffix=" min"),
                    Field("insights.top_n", "Keywords shown", "int"),
                    Field("insights.interval_s", "Update every", "float", suffix=" s"),
                ],
            ),
            (
                "Summary",
                [
                    Field("summary.enabled", "Rolling summary", "check"),
                    Field(
                        "summary.model",
                        "Model",
                        "text",
                        placeholder=SUMMARY_HINT,
                        tip="a .gguf file (llama.cpp on the CPU), a model folder, or a downloaded Hugging Face id",
                    ),
                    Field(
                        "summary.quantization",
                        "Quantization",
                        "choice",
                        labels={**automatic, "8bit": "8-bit", "4bit": "4-bit", "none": "None"},
                        tip="8-bit and 4-bit need a CUDA GPU and bitsandbytes",
                    ),
                    Field("summary.interval_s", "Update every", "float", step=10, suffix=" s"),
                ],
            ),
            (
                "Storage",
                [
                    Field(
                        "storage.sessions_dir",
                        "Sessions folder",
                        "folder",
                        placeholder=str(config.user_dirs().sessions),
                    )
                ],
            ),
            (
                "Appearance",
                [
                    Field(
                        "appearance.theme",
                        "Theme",
                        "choice",
                        labels={"system": "System", "light": "Light", "dark": "Dark"},
                    ),
                    Field("appearance.font_size", "Transcript font size", "int", suffix=" pt", special="system"),
                ],
            ),
        ]

    def _device_items(self) -> tuple[Items, Items]:
        """Microphones and system-audio sources; a sound system that cannot be listed becomes a note, not a crash."""
        from rtstt.audio.devices import list_devices

        problems: list[Any] = []
        try:
            devices = list_devices(problems)
        except Exception as exc:  # a broken audio stack must not take the settings down with it
            devices, problems = [], [exc]
        self._device_problems = [getattr(p, "message", None) or str(p) for p in problems]

        def items(kind: str) -> Items:
            listed = [(d.name + (" (default)" if d.is_default else ""), d.id) for d in devices if d.kind == kind]
            return [("System default", ""), *listed]

        return items("input"), items("loopback")

    @staticmethod
    def _model_items() -> Items:
        """Installed models first, then the ones that can be downloaded."""
        from rtstt.models.manager import ModelManager
        from rtstt.models.registry import all_specs

        try:
            installed = [m.name for m in ModelManager().installed()]
        except (OSError, RtsttError):
            installed = []
        rest = [s for s in all_specs() if s.name not in installed]
        return [(f"{n} — installed", n) for n in installed] + [
            (f"{s.name} — {s.size_mb} MB download", s.name) for s in rest
        ]

    # ------------------------------------------------------------------------------------------ building

    def _add_page(self, title: str, page_fields: list[Field]) -> None:
        page = QWidget(objectName=f"page.{title.lower()}")
        form = QFormLayout(page)
        index = self.stack.addWidget(page)
        self.sections.addItem(title)
        for f in page_fields:
            widget = self._make(f)
            widget.setObjectName(f.key)
            if f.tip:
                widget.setToolTip(f.tip)
            self.fields[f.key] = widget
            self._page_of[f.key] = index
            self._page_of.setdefault(f.key.partition(".")[0], index)
            form.addRow(f.label, self._with_browse(widget, f.label) if f.kind == "folder" else widget)

    def _make(self, f: Field) -> QWidget:
        if f.kind == "check":
            return QCheckBox()
        if f.kind in ("int", "float"):
            spin = QSpinBox() if f.kind == "int" else QDoubleSpinBox(decimals=2)
            spin.setRange(*f.bounds())
            spin.setSingleStep(f.step)
            spin.setSuffix(f.suffix)
            spin.setSpecialValueText(f.special)
            return spin
        if f.kind in ("choice", "editable"):
            combo = QComboBox(editable=f.kind == "editable")
            for label, value in f.choices() if f.kind == "choice" else f.items:
                combo.addItem(label, value)
            if combo.isEditable():
                combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
                combo.lineEdit().setPlaceholderText(f.placeholder)
            return combo
        edit = QLineEdit(placeholderText=f.placeholder)
        edit.setClearButtonEnabled(True)
        return edit

    def _with_browse(self, edit: QLineEdit, title: str) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        browse = QPushButton("Browse…", objectName=f"{edit.objectName()}.browse")
        browse.clicked.connect(lambda: self._browse(edit, title))
        row.addWidget(edit, 1)
        row.addWidget(browse)
        return box

    def _browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text() or edit.placeholderText())
        if folder:
            edit.setText(folder)

    def _add_extras(self) -> None:
        """What is not a plain setting: the device-listing note and the Hugging Face token."""
        audio = self.stack.widget(self._page_of["audio"]).layout()
        self.device_note = QLabel("\n".join(self._device_problems), objectName="audio.devicesNote", wordWrap=True)
        self.device_note.setStyleSheet(NOTE_STYLE)
        self.device_note.setVisible(bool(self._device_problems))
        audio.addRow(self.device_note)

        try:
            self._token_stored = bool(secrets.get_hf_token())
        except Exception:  # an odd keyring backend: behave as if nothing is stored
            self._token_stored = False
        self.token = QLineEdit(objectName=TOKEN_KEY, echoMode=QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("stored in the system keyring, never in files")
        self.token.setText(TOKEN_MASK if self._token_stored else "")
        self.token.textEdited.connect(self._unmask_token)
        self.forget = QPushButton("Forget token", objectName="speakers.forgetToken", enabled=self._token_stored)
        self.forget.setToolTip("remove the token from the system keyring now")
        self.forget.clicked.connect(self._forget_token)
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.token, 1)
        box.addWidget(self.forget)
        speakers = self.stack.widget(self._page_of["speakers"]).layout()
        speakers.addRow("Hugging Face token", row)
        self._page_of[TOKEN_KEY] = self._page_of["speakers"]

    def _unmask_token(self, text: str) -> None:
        if TOKEN_MASK[0] in text:  # the first keystroke replaces the stand-in instead of extending it
            self.token.setText(text.replace(TOKEN_MASK[0], ""))

    def _forget_token(self) -> None:
        try:
            secrets.set_hf_token("")
        except SettingsError as exc:
            self._show_error(exc)
            return
        self._token_stored = False
        self.token.clear()
        self.forget.setEnabled(False)

    # ------------------------------------------------------------------------------------------ values

    def values(self) -> dict[str, dict[str, Any]]:
        """The nested settings dict as the editors show it (settings without an editor keep their value)."""
        data = self.settings.to_dict()
        for key, widget in self.fields.items():
            section, _, name = key.partition(".")
            data[section][name] = _read(widget)
        return data

    def set_values(self, data: dict[str, dict[str, Any]]) -> None:
        for key, widget in self.fields.items():
            section, _, name = key.partition(".")
            if name in data.get(section, {}):
                _write(widget, data[section][name])

    def apply(self) -> bool:
        """Validate, save, store a new token, and announce the new settings. False when something failed."""
        try:
            settings = config.from_dict(self.values())
            config.save(settings)
        except RtsttError as exc:
            self._show_error(exc)
            return False
        self.settings = settings
        self.error.hide()
        ok = self._store_token()
        self.settingsChanged.emit(settings)
        return ok

    def _store_token(self) -> bool:
        token = self.token.text().strip()
        if not token or token == TOKEN_MASK:
            return True
        try:
            secrets.set_hf_token(token)
        except SettingsError as exc:
            self._show_error(exc, page_key=TOKEN_KEY)
            return False
        self._token_stored = True
        self.token.setText(TOKEN_MASK)
        self.forget.setEnabled(True)
        return True

    def _ok(self) -> None:
        if self.apply():
            self.accept()

    def _show_error(self, exc: RtsttError, page_key: str | None = None) -> None:
        self.error.setText(f"{exc.message} — {exc.hint}" if exc.hint else exc.message)
        self.error.show()
        if page_key is None:  # messages name the setting: "stt.language must be ...", "unknown setting vad.x"
            match = re.search(r"\b([a-z]+)\.([a-z_]+)", exc.message)
            if match:
                page_key = match.group(0) if match.group(0) in self._page_of else match.group(1)
        if page_key in self._page_of:
            self.sections.setCurrentRow(self._page_of[page_key])
            if page_key in self.fields:
                self.fields[page_key].setFocus()


def _read(widget: QWidget) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QComboBox):
        index = widget.findText(widget.currentText())  # a typed text that matches a label means its value
        value = widget.itemData(index) if index >= 0 else None
        return widget.currentText().strip() if value is None else value
    assert isinstance(widget, QLineEdit)
    return widget.text().strip()


def _write(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QSpinBox | QDoubleSpinBox):
        widget.setValue(value)
    elif isinstance(widget, QComboBox):
        index = widget.findData(value)
        widget.setCurrentIndex(index if index >= 0 else widget.findText(str(value)))
        if widget.currentIndex() < 0 and widget.isEditable():
            widget.setEditText(str(value))
    else:
        assert isinstance(widget, QLineEdit)
        widget.setText(str(value))
