"""The main window: toolbar (source, start/pause/stop, model, language), the live transcript in the
centre, insights and summary on the right, live plots at the bottom, and a status bar.

It builds the widgets, keeps the settings and the toolbar's choices, and asks the user things; the
`SessionController` runs sessions and routes their events to these widgets. Capture and inference run in
an `EngineWorker` on its own QThread, so this thread only renders.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rtstt import config
from rtstt.audio.base import AudioSource
from rtstt.audio.call import CallSource
from rtstt.errors import RtsttError
from rtstt.gui import dialogs
from rtstt.gui.banner import ErrorBanner
from rtstt.gui.captions import CaptionsWindow
from rtstt.gui.controller import SessionController
from rtstt.gui.menus import MenuBar
from rtstt.gui.panels.insights import InsightsPanel
from rtstt.gui.panels.speakers import SpeakersStrip
from rtstt.gui.panels.state import NEXT_START
from rtstt.gui.panels.summary import SummaryPanel
from rtstt.gui.panels.transcript import TranscriptView
from rtstt.gui.search_bar import SearchBar
from rtstt.gui.status_bar import StatusBar
from rtstt.gui.theme import SPEAKER_COLORS, apply_theme, colors, is_dark
from rtstt.gui.toolbar import SessionToolbar
from rtstt.runner import SourceChoice, open_choice
from rtstt.session.live import LiveSession

FIRST_RUN_HINT = (
    "Press Start to transcribe what you hear.\n\n"
    "Choose what to listen to at the left of the toolbar: a Call (you and the others, kept apart), System "
    "audio, Microphone, both mixed, or a File. "
    "Words appear here as they are spoken: grey while still tentative, then final."
)
RUNNING_HINT = "Words appear here as they are heard…"
AUDIO_FILTER = "Audio and video (*.wav *.flac *.mp3 *.ogg *.opus *.m4a *.aac *.wma *.mp4 *.mkv *.mov *.webm);;All (*)"


class MainWindow(QMainWindow):
    sessionFinished = Signal(object)  # StreamEnded or None, after the drain: every word is final and saved
    finalAdded = Signal(object)  # a Final event, re-emitted on the GUI thread after it is shown

    def __init__(self, settings: config.Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("RTSTT")
        self.resize(1180, 760)
        problem: RtsttError | None = None
        if settings is None:
            try:
                settings = config.load()
            except RtsttError as exc:  # a broken config.toml must not keep the app from starting
                settings, problem = config.Settings(), exc
        self.settings = settings
        self.file_path: Path | None = Path(settings.audio.file) if settings.audio.file else None
        self._next_start_notes: set[str] = set()  # panels saying their switch applies at the next Start

        self.banner = ErrorBanner()
        self.view = TranscriptView()
        self.search_bar = SearchBar(self.view)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.search_bar)
        self.setCentralWidget(central)
        self.toolbar = SessionToolbar(self)
        self.addToolBar(self.toolbar)
        self.source_meter = self.toolbar.source_meter  # the chosen input's level before Start
        self.source_meter.opener = self._open_probe_source
        self._meter_choice: SourceChoice | None = None
        self._auto_source: str | None = None
        layout.insertWidget(1, self.source_meter.warning)  # "No sound from ...", under the banner
        self._build_docks()
        self.status_bar = StatusBar(self)
        self.setStatusBar(self.status_bar)
        from rtstt.components import runtime

        docks = (self.insights_dock, self.summary_dock, self.plots_dock)
        views = [d.toggleViewAction() for d in docks if d is not None]
        self.menus = MenuBar(views, components=runtime.has_components(), parent=self)
        self.setMenuBar(self.menus)
        self.captions = CaptionsWindow(self)
        self.captions.follow(self.view.document().contentsChanged, self.view.segments, self.view.partial_text)
        self.controller = SessionController(self)
        self._connect()
        # the widgets tests and scripts reach by name
        self.source_combo, self.model_combo = self.toolbar.source_combo, self.toolbar.model_combo
        self.language_combo, self.pause_action = self.toolbar.language_combo, self.toolbar.pause_action
        self.export_actions, self.components_action = self.menus.export_actions, self.menus.components_action
        self.captions_action = self.menus.captions_action
        self.include_timestamps, self.include_speakers = self.menus.include_timestamps, self.menus.include_speakers
        self.search_field, self.search_count = self.search_bar.field, self.search_bar.count
        self.status_labels = self.status_bar.labels
        self.apply_settings(settings)
        if problem is not None:
            self.show_error(problem.message, problem.hint + " — using default settings for now")
        QTimer.singleShot(0, self.controller.recover_interrupted)

    # ---- layout --------------------------------------------------------------------------------
    def _build_docks(self) -> None:
        self.speakers = SpeakersStrip()
        self.insights = InsightsPanel()
        self.summary = SummaryPanel()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        side_layout.addWidget(self.speakers)
        side_layout.addWidget(self.insights, 1)
        self.insights_dock = self._dock("Speakers and insights", side, "insightsDock")
        self.summary_dock = self._dock("Summary", self.summary, "summaryDock")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.insights_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.summary_dock)
        self.resizeDocks([self.insights_dock], [300], Qt.Orientation.Horizontal)
        try:
            from rtstt.gui.panels.plots import PlotsPanel

            self.plots: PlotsPanel | None = PlotsPanel()
        except ImportError:  # pyqtgraph missing: the transcript still works
            self.plots = None
        self.plots_dock = None if self.plots is None else self._dock("Live metrics", self.plots, "plotsDock")
        if self.plots_dock is not None:
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.plots_dock)
            self.resizeDocks([self.plots_dock], [190], Qt.Orientation.Vertical)

    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        return dock

    def _connect(self) -> None:
        c, bar, menus = self.controller, self.toolbar, self.menus
        c.finished.connect(self.sessionFinished)
        c.finalAdded.connect(self.finalAdded)
        self.view.editRequested.connect(c.edit_segment)
        self.view.renameSpeakerRequested.connect(c.rename_speaker)
        self.speakers.renameRequested.connect(c.rename_speaker)
        self.summary.summarizeRequested.connect(c.summarize_now)
        self.summary.lineRequested.connect(self.view.show_segment)
        self.summary.getModelRequested.connect(self._get_summary_model)
        for panel in self._switched_panels():
            panel.switch.switched.connect(lambda on, panel=panel: self._panel_switched(panel, on))
        bar.startToggled.connect(lambda checked: c.start() if checked else c.stop())
        bar.startToggled.connect(self._update_hint)  # after the controller: it knows whether one started
        bar.startToggled.connect(self._update_source_meter)
        c.finished.connect(self._update_hint)
        c.finished.connect(self._update_source_meter)
        bar.pauseToggled.connect(c.set_paused)
        bar.sourceActivated.connect(self._source_activated)
        bar.modelOrLanguageChosen.connect(self._model_or_language_chosen)
        bar.translateToggled.connect(self._translate_toggled)
        menus.openFileRequested.connect(self.choose_file)
        menus.historyRequested.connect(
            lambda: dialogs.open_history(self, self.settings.sessions_path(), c.open_session)
        )
        menus.exportRequested.connect(c.export_dialog)
        menus.quitRequested.connect(self.close)
        menus.findRequested.connect(self.open_search)
        menus.settingsRequested.connect(lambda: dialogs.open_settings(self, self.settings, self.apply_settings))
        menus.modelManagerRequested.connect(lambda: self.open_model_manager())
        menus.componentsRequested.connect(self.open_components)
        menus.jumpToLiveRequested.connect(self.view.jump_to_live)
        menus.aboutRequested.connect(lambda: dialogs.about(self))
        menus.captionsToggled.connect(self.captions.setVisible)
        self.captions.closed.connect(lambda: menus.captions_action.setChecked(False))

    def _update_hint(self, *_args) -> None:
        """An empty transcript says how to start; once a session runs, that the words will come here."""
        self.view.set_hint(RUNNING_HINT if self.controller.running else FIRST_RUN_HINT)

    # ---- settings ------------------------------------------------------------------------------
    def apply_settings(self, settings: config.Settings) -> None:
        """Apply without restart: theme, font, toolbar choices; the model changes at the next start."""
        self.settings = settings
        app = QApplication.instance()
        c = apply_theme(app, settings.appearance.theme) if app else colors(settings.appearance.theme)
        self.view.muted, self.view.text_color, self.view.highlight = (
            QColor(c.muted),
            QColor(c.text),
            QColor(c.highlight),
        )
        self.view.speaker_colors = SPEAKER_COLORS
        self.speakers.colors = SPEAKER_COLORS
        font = self.view.font()
        if settings.appearance.font_size:
            font.setPointSize(settings.appearance.font_size)
        else:
            font.setPointSizeF(max(11.0, QApplication.font().pointSizeF() * 1.15))
        self.view.setFont(font)
        if self.plots is not None:
            self.plots.set_dark(is_dark(settings.appearance.theme))
        self.source_meter.set_colors(c.border, c.accent, c.muted)
        self.source_meter.warning.set_colors(c.banner_bg, c.banner_text, c.border)
        self.toolbar.select_source(settings.audio.source or self._automatic_source())
        self._fill_models()
        self.toolbar.set_language(settings.stt.language)
        self.toolbar.set_translate(settings.stt.task == "translate")
        for panel in self._switched_panels():
            panel.switch.set_on(self._setting_on(settings, panel.switch.setting))
            self._show_switch_state(panel)
        self._offer_summary_model()
        self._update_hint()  # its heading follows the font size
        self._update_source_meter(again=True)  # the device may have changed

    def _fill_models(self) -> None:
        from rtstt.model_cache import model_name
        from rtstt.models.manager import ModelManager

        try:
            names = sorted({m.name for m in ModelManager().installed()})
        except RtsttError:
            names = []
        self.toolbar.set_models(names, model_name(self.settings))

    def _switched_panels(self) -> tuple[SpeakersStrip | InsightsPanel | SummaryPanel, ...]:
        return (self.speakers, self.insights, self.summary)

    @staticmethod
    def _setting_on(settings: config.Settings, setting: str) -> bool:
        section, _, key = setting.partition(".")
        return bool(getattr(getattr(settings, section), key))

    def _panel_switched(self, panel: SpeakersStrip | InsightsPanel | SummaryPanel, on: bool) -> None:
        """A panel's own switch: the same setting as in Settings, saved to config.toml at once."""
        setting = panel.switch.setting
        self._save_settings(**{setting.replace(".", "__"): on})
        panel.switch.set_on(self._setting_on(self.settings, setting))  # back, if it could not be saved
        self._show_switch_state(panel)
        self._offer_summary_model()

    def _show_switch_state(self, panel: SpeakersStrip | InsightsPanel | SummaryPanel) -> None:
        """The panel's state line after its setting changed. A running session keeps the stages it started
        with (the engine does not start or stop one mid-session): the panel says it applies at the next Start."""
        on = self._setting_on(self.settings, panel.switch.setting)
        started = self.controller.started_with if self.controller.running else None
        if started is not None and self._setting_on(started, panel.switch.setting) != on:
            panel.set_state(NEXT_START[on])
            self._next_start_notes.add(panel.switch.setting)
        elif started is None or panel.switch.setting in self._next_start_notes:  # not the stage's own state
            waiting = "ready" if panel is self.speakers else "waiting for speech"
            panel.set_state(waiting if on else "off")
            self._next_start_notes.discard(panel.switch.setting)

    def _save_settings(self, **overrides: object) -> None:
        """Remember a toolbar choice in config.toml, so the next start of the app begins with it."""
        try:
            settings = self.settings.with_overrides(**overrides)
            config.save(settings)
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)
            return
        self.settings = settings

    def use_vocabulary(self, words: str) -> None:
        """Words to expect from the next Start (Settings > Transcription shows the same setting)."""
        self._save_settings(stt__vocabulary=words)
        if self.settings.stt.vocabulary == words:
            self.status_bar.set_state("Words to expect set for the next Start")

    def _model_or_language_chosen(self) -> None:
        self._save_settings(stt__model=self.toolbar.model(), stt__language=self.toolbar.language())

    def _translate_toggled(self, on: bool) -> None:
        """Translate to English from the next Start; with no model chosen, the default becomes base (tiny.en cannot)."""
        self._save_settings(stt__task="translate" if on else "transcribe")
        self._fill_models()

    def _source_activated(self, kind: str) -> None:
        if kind == "file":
            self.choose_file()
        self._save_settings(audio__source=self.toolbar.source(), audio__file=str(self.file_path or ""))
        self._update_source_meter(again=True)  # picked again: try the device again too

    def choose_file(self) -> None:
        path = self._ask_open_file()
        if path:
            self.file_path = Path(path)
            self.toolbar.show_file(self.file_path.name)
            self._save_settings(audio__source="file", audio__file=str(self.file_path))
        self._update_source_meter()

    def source_choice(self) -> SourceChoice:
        kind = self.toolbar.source()
        return SourceChoice(kind, self.file_path if kind == "file" else None, realtime=self.settings.audio.realtime)

    # ---- the chosen input's level before Start ----------------------------------------------------
    def _open_probe_source(self, choice: SourceChoice) -> AudioSource:
        """The source the meter listens to: the one Start would open (runs on the probe's thread); for a call,
        both of its devices mixed, so the meter moves when either side makes a sound."""
        if choice.kind == "call":
            choice = dataclasses.replace(choice, kind="mix")
        source = open_choice(choice, self.settings)
        assert not isinstance(source, CallSource)
        return source

    def _automatic_source(self) -> str:
        """The source offered until the user picks one: a call when a microphone and system audio both exist
        (listed once per window; a sound system that cannot be listed counts as no devices)."""
        if self._auto_source is None:
            from rtstt.audio.devices import default_source_kind, list_devices

            try:
                devices = list_devices([])
            except Exception:  # a broken audio stack must not keep the window from opening
                devices = []
            self._auto_source = default_source_kind(devices)
        return self._auto_source

    def _update_source_meter(self, *_args, again: bool = False) -> None:
        """Before Start the meter listens to the chosen input; a session (or a closed window) releases it."""
        meter = self.source_meter
        if self.controller.running or not self.isVisible():
            meter.release()
            self._meter_choice = None
            return
        choice = self.source_choice()
        if again or not meter.listening or choice != self._meter_choice:
            self._meter_choice = choice
            meter.listen(choice, self.toolbar.source_label())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._update_source_meter()

    # ---- the session (run by the controller) -----------------------------------------------------
    @property
    def session(self) -> LiveSession | None:
        """The session shown (recording or reopened); it owns the transcript, names, edits and insights."""
        return self.controller.session

    @property
    def running(self) -> bool:
        return self.controller.running

    def start(self) -> None:
        self.controller.start()
        self._update_hint()
        self._update_source_meter()

    def stop(self) -> None:
        self.controller.stop()

    def toolbar_button(self, text: str) -> QToolButton:
        """The toolbar button showing `text` now ("Start"/"Stop", "Pause"/"Resume")."""
        return self.toolbar.button(text)

    def open_search(self) -> None:
        self.search_bar.open()

    def open_components(self) -> None:
        dialogs.open_components(self, self.show_error)

    # ---- the summary model (Models dialog, Summary tab) -------------------------------------------
    def open_model_manager(self, select: str = "") -> None:
        """The Models dialog; "Use for the summary" there sets `summary.model`."""
        dialogs.open_model_manager(
            self,
            lambda _name: self._fill_models(),
            summary_model=self.settings.summary.model,
            on_summary_model=self._use_summary_model,
            select=select,
        )

    def _get_summary_model(self) -> None:
        from rtstt.models.registry import RECOMMENDED_SUMMARY

        self.open_model_manager(RECOMMENDED_SUMMARY)

    def _use_summary_model(self, name: str) -> None:
        self._save_settings(summary__model=name)
        self._offer_summary_model()

    def _offer_summary_model(self) -> None:
        """With the summary on and the offline fallback as its model, the panel recommends a real one."""
        from rtstt.models.nlp_models import DEFAULT_LLM
        from rtstt.models.registry import RECOMMENDED_SUMMARY, find_summary_spec

        summary = self.settings.summary
        spec = find_summary_spec(RECOMMENDED_SUMMARY)
        if not summary.enabled or summary.model.strip() not in ("", DEFAULT_LLM) or spec is None:
            self.summary.offer_model("")
            return
        self.summary.offer_model(
            f"The summary uses {DEFAULT_LLM}, the small offline fallback: rough notes. "
            f"{spec.title} writes far better ones on a laptop CPU.",
            f"Get {spec.title} ({spec.size_mb / 1000:.1f} GB)…",
        )

    def show_error(self, message: str, hint: str = "") -> None:
        self.banner.show_message(message, hint)

    def closeEvent(self, event) -> None:
        """Closing while recording stops and drains first, so nothing spoken is lost."""
        self.controller.shutdown()
        self.source_meter.release()
        self.captions.close()  # a top-level window of its own: it would keep the app running
        super().closeEvent(event)

    # ---- questions to the user (tests answer them instead) --------------------------------------
    def _ask_open_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Transcribe a file", "", AUDIO_FILTER)
        return path

    def _ask_save_path(self, fmt: str) -> str:
        name = (self.controller.title or "transcript").replace("/", "-")
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {fmt.upper()}", f"{name}.{fmt}", f"{fmt.upper()} (*.{fmt})"
        )
        return path

    def _ask_speaker_name(self, current: str) -> str | None:
        text, ok = QInputDialog.getText(self, "Rename speaker", "Name (empty resets it):", text=current)
        return text if ok else None

    def _ask_edit_text(self, current: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self, "Edit segment", "Text:", current)
        return text if ok else None
