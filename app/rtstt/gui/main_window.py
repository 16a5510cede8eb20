"""The main window: toolbar (source, start/pause/stop, model, language), the live transcript in the
centre, insights and summary on the right, live plots at the bottom, and a status bar.

It only renders and routes: capture and inference run in an `EngineWorker` on its own QThread; every
engine event arrives here as a Qt signal carrying the immutable event object.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QThread, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rtstt import config
from rtstt.errors import RtsttError
from rtstt.events import (
    EngineError,
    Final,
    Keywords,
    Metric,
    Partial,
    Questions,
    SpeakerLabels,
    StageStatus,
    StreamEnded,
    Summary,
)
from rtstt.gui.banner import ErrorBanner
from rtstt.gui.panels.insights import InsightsPanel, SpeakersStrip, SummaryPanel
from rtstt.gui.panels.transcript import TranscriptView, clock
from rtstt.gui.theme import SPEAKER_COLORS, apply_theme, colors, is_dark
from rtstt.gui.workers import EngineWorker, SourceChoice, start_in_thread
from rtstt.session.export import FORMATS, ExportOptions, export
from rtstt.session.transcript import Transcript

SOURCES = (("System audio", "loopback"), ("Microphone", "mic"), ("System audio + microphone", "mix"), ("File…", "file"))
LANGUAGES = ("en", "auto", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "ja", "zh", "ko", "ar", "hi")
AUDIO_FILTER = "Audio and video (*.wav *.flac *.mp3 *.ogg *.opus *.m4a *.aac *.wma *.mp4 *.mkv *.mov *.webm);;All (*)"
log = logging.getLogger(__name__)


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
        self.transcript = Transcript()
        self.store = None
        self.worker: EngineWorker | None = None
        self.thread: QThread | None = None
        self.file_path: Path | None = Path(settings.audio.file) if settings.audio.file else None
        self.backend_info = ""
        self._started_at: float | None = None
        self._latencies: list[float] = []

        self.banner = ErrorBanner()
        self.view = TranscriptView()
        self.view.editRequested.connect(self.edit_segment)
        self.view.renameSpeakerRequested.connect(self.rename_speaker)
        self._build_search_bar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.search_bar)
        self.setCentralWidget(central)

        self._build_toolbar()
        self._build_docks()
        self._build_status_bar()
        self._build_menus()
        self.apply_settings(settings)

        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(1000)
        self._clock_timer.timeout.connect(self._tick)
        if problem is not None:
            self.show_error(problem.message, problem.hint + " — using default settings for now")
        QTimer.singleShot(0, self._recover_interrupted)

    # ---- layout --------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Session")
        bar.setObjectName("toolbar")
        bar.setMovable(False)
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("source")
        for label, kind in SOURCES:
            self.source_combo.addItem(label, kind)
        self.source_combo.activated.connect(self._source_activated)
        bar.addWidget(self.source_combo)
        bar.addSeparator()
        self.start_action = QAction("Start", self)
        self.start_action.setCheckable(True)
        self.start_action.setShortcut(QKeySequence("Ctrl+R"))
        self.start_action.setToolTip("Start or stop transcribing (Ctrl+R)")
        self.start_action.triggered.connect(self._toggle_start)
        bar.addAction(self.start_action)
        bar.widgetForAction(self.start_action).setObjectName("startButton")
        self.pause_action = QAction("Pause", self)
        self.pause_action.setCheckable(True)
        self.pause_action.setEnabled(False)
        self.pause_action.setShortcut(QKeySequence("Ctrl+P"))
        self.pause_action.setToolTip("Pause listening without ending the session (Ctrl+P)")
        self.pause_action.toggled.connect(self.set_paused)
        bar.addAction(self.pause_action)
        bar.addSeparator()
        bar.addWidget(QLabel(" Model "))
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("model")
        self.model_combo.setMinimumWidth(120)
        self.model_combo.activated.connect(self._model_or_language_chosen)
        bar.addWidget(self.model_combo)
        bar.addWidget(QLabel(" Language "))
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("language")
        self.language_combo.addItems(LANGUAGES)
        self.language_combo.activated.connect(self._model_or_language_chosen)
        bar.addWidget(self.language_combo)

    def _build_search_bar(self) -> None:
        self.search_bar = QFrame()
        self.search_bar.setObjectName("searchBar")
        row = QHBoxLayout(self.search_bar)
        row.setContentsMargins(12, 4, 12, 4)
        self.search_field = QLineEdit()
        self.search_field.setObjectName("searchField")
        self.search_field.setPlaceholderText("Find in transcript")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.textChanged.connect(self._search_changed)
        self.search_field.returnPressed.connect(lambda: self.view.next_match())
        self.search_count = QLabel()
        self.search_count.setObjectName("searchCount")
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.close_search)
        row.addWidget(self.search_field, 1)
        row.addWidget(self.search_count)
        row.addWidget(close)
        self.search_bar.hide()

    def _build_docks(self) -> None:
        self.speakers = SpeakersStrip()
        self.speakers.renameRequested.connect(self.rename_speaker)
        self.insights = InsightsPanel()
        self.summary = SummaryPanel()
        self.summary.summarizeRequested.connect(self.summarize_now)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(0)
        side_layout.addWidget(self.speakers)
        side_layout.addWidget(self.insights, 1)
        self.insights_dock = self._dock("Speakers and insights", side, "insightsDock")
        self.summary_dock = self._dock("Summary", self.summary, "summaryDock")
        from PySide6.QtCore import Qt

        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.insights_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.summary_dock)
        self.resizeDocks([self.insights_dock], [300], Qt.Orientation.Horizontal)
        try:
            from rtstt.gui.panels.plots import PlotsPanel

            self.plots = PlotsPanel()
        except ImportError:  # pyqtgraph missing: the transcript still works
            self.plots = None
        if self.plots is not None:
            self.plots_dock = self._dock("Live metrics", self.plots, "plotsDock")
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

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_labels: dict[str, QLabel] = {}
        for key, text in (
            ("state", "Ready"),
            ("model", ""),
            ("device", ""),
            ("rtf", "RTF –"),
            ("latency", "latency p50 –"),
            ("clock", "00:00"),
            ("saved", ""),
        ):
            label = QLabel(text)
            label.setObjectName(f"status_{key}")
            self.status_labels[key] = label
            if key == "state":
                bar.addWidget(label, 1)
            else:
                bar.addPermanentWidget(label)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self._action(file_menu, "Open audio file…", "Ctrl+O", self.choose_file)
        self._action(file_menu, "Sessions…", "Ctrl+H", self.open_history)
        export_menu = file_menu.addMenu("Export")
        self.export_actions: dict[str, QAction] = {}
        for fmt in FORMATS:
            shortcut = "Ctrl+E" if fmt == "srt" else ""
            self.export_actions[fmt] = self._action(
                export_menu, f"{fmt.upper()}…", shortcut, lambda _=False, f=fmt: self.export_dialog(f)
            )
        export_menu.addSeparator()
        self.include_timestamps = self._action(export_menu, "Include timestamps", "", None, checkable=True)
        self.include_speakers = self._action(export_menu, "Include speakers", "", None, checkable=True)
        file_menu.addSeparator()
        self._action(file_menu, "Quit", "Ctrl+Q", self.close)
        edit_menu = menu.addMenu("&Edit")
        self._action(edit_menu, "Find…", QKeySequence.StandardKey.Find, self.open_search)
        self._action(edit_menu, "Settings…", "Ctrl+,", self.open_settings)
        models_menu = menu.addMenu("&Models")
        self._action(models_menu, "Model manager…", "Ctrl+M", self.open_model_manager)
        self.components_action = self._action(models_menu, "Optional components…", "", self.open_components)
        self.components_action.setObjectName("componentsAction")
        from rtstt.components import runtime

        available = runtime.has_components()  # from source there is no lock: pip installs the extras
        self.components_action.setVisible(available)
        self.components_action.setEnabled(available)
        view_menu = menu.addMenu("&View")
        for dock in (self.insights_dock, self.summary_dock, getattr(self, "plots_dock", None)):
            if dock is not None:
                view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction("Jump to live", self.view.jump_to_live)
        help_menu = menu.addMenu("&Help")
        self._action(help_menu, "About RTSTT", "", self._about)

    def _action(self, menu, text, shortcut, slot, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if checkable:
            action.setCheckable(True)
            action.setChecked(True)
        if slot is not None:
            action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def toolbar_button(self, text: str) -> QToolButton:
        """The toolbar button showing `text` now ("Start"/"Stop", "Pause"/"Resume")."""
        for action in (self.start_action, self.pause_action):
            if action.text() == text:
                return self.findChild(QToolBar, "toolbar").widgetForAction(action)
        raise LookupError(text)

    # ---- settings ------------------------------------------------------------------------------
    def apply_settings(self, settings: config.Settings) -> None:
        """Apply without restart: theme, font, toolbar choices; the model changes at the next start."""
        self.settings = settings
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        c = apply_theme(app, settings.appearance.theme) if app else colors(settings.appearance.theme)
        from PySide6.QtGui import QColor

        self.view.muted, self.view.text_color, self.view.highlight = (
            QColor(c.muted),
            QColor(c.text),
            QColor(c.highlight),
        )
        self.view.speaker_colors = SPEAKER_COLORS
        self.speakers.colors = SPEAKER_COLORS
        self.speakers.set_state("ready" if settings.speakers.enabled else "off")
        font = self.view.font()
        if settings.appearance.font_size:
            font.setPointSize(settings.appearance.font_size)
        else:
            font.setPointSizeF(max(11.0, QApplication.font().pointSizeF() * 1.15))
        self.view.setFont(font)
        if self.plots is not None:
            self.plots.set_dark(is_dark(settings.appearance.theme))
        self._select(self.source_combo, settings.audio.source)
        self._fill_models()
        lang = settings.stt.language
        if self.language_combo.findText(lang) < 0:
            self.language_combo.addItem(lang)
        self.language_combo.setCurrentText(lang)
        for panel, enabled in ((self.insights, settings.insights.enabled), (self.summary, settings.summary.enabled)):
            panel.set_state("waiting for speech" if enabled else "off")

    def _fill_models(self) -> None:
        from rtstt.models.registry import default_model

        names: list[str] = []
        try:
            from rtstt.models.manager import ModelManager

            names = sorted({m.name for m in ModelManager().installed()})
        except RtsttError:
            pass
        current = self.settings.stt.model or default_model(self.settings.stt.language)
        if current not in names:
            names.append(current)
        self.model_combo.clear()
        self.model_combo.addItems(names)
        self.model_combo.setCurrentText(current)

    @staticmethod
    def _select(combo: QComboBox, data: str) -> None:
        index = combo.findData(data)
        if index >= 0:
            combo.setCurrentIndex(index)

    def _model_or_language_chosen(self) -> None:
        try:
            settings = self.settings.with_overrides(
                stt__model=self.model_combo.currentText(), stt__language=self.language_combo.currentText()
            )
            config.save(settings)
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)
            return
        self.settings = settings

    def _source_activated(self) -> None:
        kind = self.source_combo.currentData()
        if kind == "file" and (self.file_path is None or self.sender() is self.source_combo):
            self.choose_file()
        self._remember_source()

    def _remember_source(self) -> None:
        try:
            self.settings = self.settings.with_overrides(
                audio__source=self.source_combo.currentData(), audio__file=str(self.file_path or "")
            )
            config.save(self.settings)
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)

    def choose_file(self) -> None:
        path = self._ask_open_file()
        if path:
            self.file_path = Path(path)
            index = self.source_combo.findData("file")
            self.source_combo.setItemText(index, f"File: {self.file_path.name}")
            self.source_combo.setCurrentIndex(index)
            self._remember_source()

    def _ask_open_file(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Transcribe a file", "", AUDIO_FILTER)
        return path

    # ---- session control -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def _toggle_start(self, checked: bool) -> None:
        if checked:
            self.start()
        else:
            self.stop()

    def source_choice(self) -> SourceChoice:
        kind = self.source_combo.currentData()
        return SourceChoice(
            kind=kind, path=self.file_path if kind == "file" else None, realtime=self.settings.audio.realtime
        )

    def start(self) -> None:
        if self.running:
            return
        from rtstt.session.store import SessionStore

        self.banner.dismiss()
        choice = self.source_choice()
        try:
            if choice.kind == "file" and choice.path is None:
                raise RtsttError("no file chosen", "choose File… in the source list")
            self.store = SessionStore.create(
                self.settings.sessions_path(), title=choice.label(), meta={"source": choice.kind}
            )
        except RtsttError as exc:
            self.start_action.setChecked(False)
            self.show_error(exc.message, exc.hint)
            return
        self.transcript = Transcript(title=choice.label())
        self.view.clear_all()
        if self.plots is not None:
            self.plots.clear()
        self._latencies = []
        self.setWindowTitle(f"RTSTT — {choice.label()}")
        self.worker = EngineWorker(self.settings, choice, store=self.store)
        self.worker.event.connect(self.on_event)
        self.worker.status.connect(self._on_status)
        self.worker.ready.connect(self._on_ready)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_finished)
        self.thread = start_in_thread(self.worker, "rtstt-engine-worker")
        self.start_action.setText("Stop")
        self.start_action.setChecked(True)
        self.pause_action.setEnabled(True)
        self.source_combo.setEnabled(False)
        self.model_combo.setEnabled(False)
        self.language_combo.setEnabled(False)
        self._started_at = None  # the session clock starts when listening does, after the models load
        self._clock_timer.start()

    def stop(self) -> None:
        """Stop capture; the engine finalises the tail and syncs the journal before `sessionFinished`."""
        if self.worker is None:
            return
        self.status_labels["state"].setText("Stopping… finishing the last words")
        self.start_action.setEnabled(False)
        self.worker.stop()

    def set_paused(self, paused: bool) -> None:
        if self.worker is not None:
            self.worker.pause(paused)
            self.status_labels["state"].setText("Paused" if paused else "Listening")
            self.pause_action.setText("Resume" if paused else "Pause")

    def _on_status(self, status: str) -> None:
        self.status_labels["state"].setText(status.capitalize())

    def _on_ready(self, backend) -> None:
        self._started_at = time.monotonic()
        choice = backend.choice
        self.status_labels["model"].setText(f"{backend.name} · {choice.compute_type}")
        self.status_labels["device"].setText(choice.device_name)

    def _on_failed(self, error: EngineError) -> None:
        self.show_error(error.message, error.hint)

    def _on_finished(self, ended: StreamEnded | None) -> None:
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()  # run() has returned: only the thread's exit remains
            self.thread.deleteLater()
        if self.worker is not None:
            self.worker.deleteLater()
        self.thread, self.worker = None, None
        self._clock_timer.stop()
        self.view.set_partial("")
        self.summary.set_live(False)
        self.start_action.setEnabled(True)
        self.start_action.setChecked(False)
        self.start_action.setText("Start")
        self.pause_action.setChecked(False)
        self.pause_action.setEnabled(False)
        self.source_combo.setEnabled(True)
        self.model_combo.setEnabled(True)
        self.language_combo.setEnabled(True)
        n = len(self.transcript.segments)
        self.status_labels["state"].setText(f"Stopped — {n} segment{'s' if n != 1 else ''}")
        if ended is not None and self.store is not None:
            self.status_labels["saved"].setText("✓ Saved")
        self.sessionFinished.emit(ended)

    # ---- events --------------------------------------------------------------------------------
    def on_event(self, event) -> None:
        if isinstance(event, Partial):
            self.view.set_partial(event.text)
        elif isinstance(event, Final):
            segment = self.transcript.add(event.segment)
            self.view.add_final(segment)
            self._latencies.append(event.latency_s)
            self.status_labels["saved"].setText("✓ Saved" if self.store is not None else "")
            self.finalAdded.emit(event)
        elif isinstance(event, Metric):
            self._on_metric(event)
        elif isinstance(event, SpeakerLabels):
            for segment in self.transcript.apply_labels(event.labels):
                self.view.update_segment(segment)
            self._show_speakers()
        elif isinstance(event, Keywords):
            self.insights.show_keywords(event)
            if event.scope == "session":
                self.transcript.insights["keywords"] = [list(p) for p in event.phrases]
        elif isinstance(event, Questions):
            self.insights.show_questions(event)
            self.transcript.insights["questions"] = [list(q) for q in event.items]
        elif isinstance(event, StageStatus) and event.stage == "speakers":
            self.speakers.set_state(event.state, event.detail)
            self._offer_component(event)
        elif isinstance(event, StageStatus):
            self._offer_component(event)
            if event.stage == "summary":
                self.summary.set_live(event.state == "ready")
                if event.state == "ready":
                    self.summary.set_note(event.detail)
            panel = {"insights": self.insights, "summary": self.summary}.get(event.stage)
            if panel is not None and event.state != "ready":
                panel.set_state(event.state, event.detail)
            elif panel is not None:
                panel.set_state("waiting for speech")
        elif isinstance(event, Summary):
            self.summary.show_summary(event)
            self.transcript.insights["summary"] = event.text
            self.transcript.insights["action_items"] = list(event.action_items)
        elif isinstance(event, EngineError):
            self.show_error(event.message, event.hint)
        elif isinstance(event, StreamEnded):
            p50 = event.stats.get("latency_p50_s")
            if p50 is not None:
                self.status_labels["latency"].setText(f"latency p50 {p50:.2f} s")

    def _on_metric(self, metric: Metric) -> None:
        if self.plots is not None:
            self.plots.add_metric(metric)
        if metric.name == "rtf":
            self.status_labels["rtf"].setText(f"RTF {metric.value:.2f}")
        elif metric.name == "latency_s":
            ordered = sorted(self._latencies)
            if ordered:
                self.status_labels["latency"].setText(f"latency p50 {ordered[len(ordered) // 2]:.2f} s")

    def _tick(self) -> None:
        if self._started_at is not None:
            self.status_labels["clock"].setText(clock(time.monotonic() - self._started_at))

    def show_error(self, message: str, hint: str = "") -> None:
        self.banner.show_message(message, hint)

    def _offer_component(self, event: StageStatus) -> None:
        """A feature that is on but whose component is not installed (or outdated by an app update): offer
        the one-click fix instead of a pip command the installed app's user cannot run."""
        if event.state != "needs setup" or not self.components_action.isVisible():
            return
        store = self._component_store()
        feature = event.stage
        if event.stage == "speakers" and self.settings.speakers.backend == "pyannote":
            feature = "pyannote"
        if store is None or store.status().get(feature) == "installed":
            return  # installed but failing: the panel shows the real error
        from rtstt.components.catalog import FEATURES

        title = FEATURES[feature].title if feature in FEATURES else feature
        self.banner.show_message(
            f"{title} needs an optional component that is not installed yet.",
            "It downloads once (a few hundred MB) and then works offline.",
            action=("Install…", self.open_components),
        )

    # ---- editing, search, export ---------------------------------------------------------------
    def edit_segment(self, segment_id: int) -> None:
        segment = self.transcript.get(segment_id)
        if segment is None:
            return
        text = self._ask_edit_text(segment.text)
        if text is None or text.strip() == segment.text:
            return
        try:
            if self.store is not None:
                self.store.edit(segment_id, text.strip())
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)
            return
        self.view.update_segment(self.transcript.edit(segment_id, text.strip()))

    def rename_speaker(self, speaker: str) -> None:
        """Give a speaker a name everywhere: transcript, chips, exports; journalled so it persists."""
        current = self.transcript.speaker_name(speaker) or speaker
        name = self._ask_speaker_name(current)
        if name is None or name.strip() == current:
            return
        try:
            if self.store is not None:
                self.store.rename_speaker(speaker, name.strip())
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)
            return
        if self.store is None or self.store.transcript is not self.transcript:
            self.transcript.rename_speaker(speaker, name.strip())
        self.view.set_speaker_names(self.transcript.speaker_names)
        self._show_speakers()

    def _ask_speaker_name(self, current: str) -> str | None:
        text, ok = QInputDialog.getText(self, "Rename speaker", "Name (empty resets it):", text=current)
        return text if ok else None

    def _show_speakers(self) -> None:
        talk: dict[str, float] = {}
        for segment in self.transcript.segments:
            if segment.speaker:
                talk[segment.speaker] = talk.get(segment.speaker, 0.0) + segment.end - segment.start
        self.speakers.show_speakers(talk, self.transcript.speaker_names)

    def _show_stored_insights(self) -> None:
        """A reopened session shows what its stages concluded, as it was when it ended."""
        insights = self.transcript.insights
        if insights.get("keywords"):
            self.insights.show_keywords(Keywords(tuple((str(p), float(w)) for p, w in insights["keywords"]), "session"))
        if insights.get("questions"):
            self.insights.show_questions(Questions(tuple(tuple(q) for q in insights["questions"])))
        if insights.get("summary"):
            items = tuple(insights.get("action_items") or ())
            self.summary.show_summary(Summary(str(insights["summary"]), final=True, action_items=items))

    def summarize_now(self) -> None:
        engine = self.worker.engine if self.worker is not None else None
        if engine is not None and engine.request_summary():
            self.summary.set_busy()

    def _ask_edit_text(self, current: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self, "Edit segment", "Text:", current)
        return text if ok else None

    def open_search(self) -> None:
        self.search_bar.show()
        self.search_field.setFocus()
        self.search_field.selectAll()

    def close_search(self) -> None:
        self.search_bar.hide()
        self.view.clear_search()

    def keyPressEvent(self, event) -> None:
        from PySide6.QtCore import Qt

        if event.key() == Qt.Key.Key_Escape and self.search_bar.isVisible():
            self.close_search()
            return
        super().keyPressEvent(event)

    def _search_changed(self, text: str) -> None:
        n = self.view.search(text)
        self.search_count.setText(f"{n} match{'es' if n != 1 else ''}" if text else "")

    def export_dialog(self, fmt: str) -> Path | None:
        if not self.transcript.segments:
            self.show_error("nothing to export yet", "start a session or open one from File › Sessions")
            return None
        path = self._ask_save_path(fmt)
        if not path:
            return None
        return self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> Path | None:
        options = ExportOptions(
            timestamps=self.include_timestamps.isChecked(), speakers=self.include_speakers.isChecked()
        )
        try:
            written = export(self.transcript, path, fmt, options)
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)
            return None
        self.status_labels["state"].setText(f"Exported {written.name}")
        return written

    def _ask_save_path(self, fmt: str) -> str:
        name = (self.transcript.title or "transcript").replace("/", "-")
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {fmt.upper()}", f"{name}.{fmt}", f"{fmt.upper()} (*.{fmt})"
        )
        return path

    # ---- other windows -------------------------------------------------------------------------
    def open_history(self) -> None:
        from rtstt.gui.history import SessionHistoryDialog

        dialog = SessionHistoryDialog(self.settings.sessions_path(), self)
        dialog.sessionOpened.connect(self.open_session)
        dialog.exec()

    def open_session(self, session_id: str) -> None:
        """Show a past session (read, search, edit, export); a running session keeps running."""
        from rtstt.session.store import SessionStore

        if self.running:
            self.show_error("stop the current session before opening another one")
            return
        try:
            store = SessionStore.open(self.settings.sessions_path(), session_id)
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)
            return
        self.store = store
        self.transcript = store.transcript
        self.view.clear_all()
        self.view.set_speaker_names(self.transcript.speaker_names)
        for segment in self.transcript.segments:
            self.view.add_final(segment)
        self._show_speakers()
        self._show_stored_insights()
        self.setWindowTitle(f"RTSTT — {self.transcript.title or session_id}")
        self.status_labels["state"].setText(f"Session {session_id}")

    def open_settings(self) -> None:
        from rtstt.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        dialog.settingsChanged.connect(self.apply_settings)
        dialog.exec()

    def open_model_manager(self) -> None:
        from rtstt.gui.model_dialog import ModelManagerDialog

        dialog = ModelManagerDialog(parent=self)
        dialog.modelInstalled.connect(lambda _name: self._fill_models())
        dialog.exec()

    @staticmethod
    def _component_store():
        """The frozen build's component store; None from source (no lock) or when its lock is unreadable."""
        from rtstt.components import runtime

        try:
            return runtime.app_store()
        except RtsttError as exc:
            log.warning("optional components are off: %s", exc)
            return None

    def open_components(self) -> None:
        from rtstt.gui.components_dialog import ComponentsDialog

        store = self._component_store()
        if store is None:
            return
        dialog = ComponentsDialog(store, parent=self)
        dialog.changed.connect(lambda: self._components_changed(store))
        dialog.exec()

    def _components_changed(self, store) -> None:
        """Put a new site folder on sys.path now, so the next session's stages can import what it holds."""
        try:
            store.activate()
        except OSError as exc:
            self.show_error(f"the new components cannot be loaded: {exc}", "restart RTSTT")

    def _recover_interrupted(self) -> None:
        from rtstt.session.store import SessionStore

        root = self.settings.sessions_path()
        try:
            found = SessionStore.find_unfinished(root)
            for info in found:
                SessionStore.recover(root, info.id)
        except RtsttError as exc:
            self.show_error(exc.message, exc.hint)
            return
        if found:
            names = ", ".join(f"{i.title or i.id} ({i.n_segments} segments)" for i in found)
            self.show_error(f"Recovered an interrupted session: {names}", "open it from File › Sessions")

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from rtstt import __version__

        QMessageBox.about(
            self,
            "About RTSTT",
            f"RTSTT {__version__}\nReal-time speech-to-text on your own computer.\n{self.backend_info}",
        )

    def closeEvent(self, event) -> None:
        """Closing while recording stops and drains first, so nothing spoken is lost."""
        if self.worker is not None and self.thread is not None:
            self.worker.stop()
            thread = self.thread
            deadline = time.monotonic() + 15
            while thread.isRunning() and time.monotonic() < deadline:
                from PySide6.QtCore import QCoreApplication

                QCoreApplication.processEvents()
                thread.wait(50)
        super().closeEvent(event)
