"""Before Start, the source picker shows the chosen input's live level and warns when it is silent.

The real window and the real probe; only the device is a fake (tests/unit/test_probe.py's FakeSource),
fed by the test. tests/integration/test_probe_pulse.py runs the probe on a real sound server.
"""

from __future__ import annotations

import pytest

from rtstt import config
from rtstt.errors import AudioDeviceError
from rtstt.gui.main_window import MainWindow
from rtstt.gui.source_meter import silence_warning
from tests.unit.test_probe import FakeSource, silence, tone


class Devices:
    """The opener the meter uses: one FakeSource per open, remembered with the choice it was opened for."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, FakeSource]] = []
        self.fail_with: AudioDeviceError | None = None

    def __call__(self, choice) -> FakeSource:
        if self.fail_with is not None:
            raise self.fail_with
        source = FakeSource("USB headset" if choice.kind == "mic" else f"system audio ({choice.kind}.monitor)")
        self.opened.append((choice.kind, source))
        return source

    @property
    def last(self) -> FakeSource:
        return self.opened[-1][1]


@pytest.fixture
def devices() -> Devices:
    return Devices()


@pytest.fixture
def window(qtbot, devices):
    settings = config.Settings().with_overrides(stt__threads=2, stt__model="tiny.en", audio__source="mic")
    win = MainWindow(settings)
    win.source_meter.opener = devices  # before show: the window starts listening when it appears
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.running:
        with qtbot.waitSignal(win.sessionFinished, timeout=30000):
            win.stop()
    win.source_meter.release()


def meter_shown(win: MainWindow) -> bool:
    return win.source_meter.isVisible() and win.source_meter.isVisibleTo(win.toolbar)


def test_the_meter_shows_the_chosen_inputs_level_before_start(qtbot, window, devices):
    qtbot.waitUntil(lambda: bool(devices.opened), timeout=3000)
    assert devices.opened[0][0] == "mic"
    assert meter_shown(window) and window.toolbar_button("Start").text() == "Start"
    devices.last.queue(tone(0.5, 0.3))  # about -13 dBFS
    qtbot.waitUntil(lambda: window.source_meter.meter.level() > -20, timeout=3000)
    meter = window.source_meter
    assert -20 < meter.meter.level() < -5 and meter.meter.peak() > meter.meter.level()
    assert meter.reading.text().endswith("dB") and "Microphone (USB headset)" in meter.toolTip()
    assert not meter.warning.isVisible()


def test_a_silent_input_warns_and_sound_clears_the_warning(qtbot, window, devices):
    qtbot.waitUntil(lambda: bool(devices.opened), timeout=3000)
    devices.last.queue(silence(3.5))
    warning = window.source_meter.warning
    qtbot.waitUntil(warning.isVisible, timeout=6000)
    assert warning.text() == silence_warning("Microphone (USB headset)")
    assert warning.text() == "No sound from Microphone (USB headset) for 3 s — check the device or pick another source"
    assert warning.geometry().bottom() <= window.view.geometry().top()  # a strip above the transcript
    assert window.source_meter.reading.text() == "silent"
    devices.last.queue(tone(0.3, 0.3))
    qtbot.waitUntil(lambda: not warning.isVisible(), timeout=3000)
    assert window.source_meter.meter.level() > -20


def test_picking_another_source_listens_to_it_and_releases_the_first(qtbot, window, devices):
    qtbot.waitUntil(lambda: bool(devices.opened), timeout=3000)
    mic = devices.last
    index = window.source_combo.findData("loopback")
    window.source_combo.setCurrentIndex(index)
    window.source_combo.activated.emit(index)
    assert mic.stopped.is_set()
    qtbot.waitUntil(lambda: devices.opened[-1][0] == "loopback", timeout=3000)
    devices.last.queue(silence(3.2))
    qtbot.waitUntil(window.source_meter.warning.isVisible, timeout=6000)
    assert window.source_meter.warning.text().startswith("No sound from System audio (loopback.monitor) for 3 s")
    # a file has nothing to listen to before Start: the meter goes and the device is released
    window._ask_open_file = lambda: ""
    window.file_path = None
    system = devices.last
    index = window.source_combo.findData("file")
    window.source_combo.setCurrentIndex(index)
    window.source_combo.activated.emit(index)
    assert system.stopped.is_set() and not window.source_meter.listening
    assert not window.source_meter.warning.isVisible()
    qtbot.waitUntil(lambda: not meter_shown(window), timeout=2000)  # the toolbar lays out its actions later


def test_a_device_that_cannot_open_says_so(qtbot, devices, window):
    devices.fail_with = AudioDeviceError("no usable input device: Error querying device -1", "see `rtstt devices`")
    index = window.source_combo.findData("mic")
    window.source_combo.activated.emit(index)  # picked again: tried again
    warning = window.source_meter.warning
    qtbot.waitUntil(warning.isVisible, timeout=3000)
    assert warning.text() == (
        "Cannot listen to Microphone: no usable input device: Error querying device -1 — see `rtstt devices`"
    )
    devices.fail_with = None
    window.source_combo.activated.emit(index)
    qtbot.waitUntil(lambda: not warning.isVisible(), timeout=3000)


def test_start_releases_the_device_before_the_session_opens_it_and_stop_listens_again(
    qtbot, window, devices, monkeypatch
):
    qtbot.waitUntil(lambda: bool(devices.opened), timeout=3000)
    probed = devices.last
    seen = {}

    def session_opens(choice, settings):  # the session's own open, on the engine worker's thread
        seen["released"] = probed.stopped.is_set()
        seen["kind"] = choice.kind
        raise AudioDeviceError("fake device for the test", "nothing to transcribe")

    monkeypatch.setattr("rtstt.runner.open_choice", session_opens)
    shown: list[bool] = []
    window.source_meter.activeChanged.connect(shown.append)
    with qtbot.waitSignal(window.sessionFinished, timeout=20000):
        window.start()
        assert not window.source_meter.listening  # the plots show the level now
    assert not window.running and seen == {"released": True, "kind": "mic"}
    assert "fake device" in window.banner.text()
    qtbot.waitUntil(lambda: len(devices.opened) == 2, timeout=3000)  # listening again after the session
    assert shown == [False, True]  # hidden while the session ran, back after it
    qtbot.waitUntil(lambda: meter_shown(window), timeout=2000)


def test_closing_the_window_releases_the_device(qtbot, window, devices):
    qtbot.waitUntil(lambda: bool(devices.opened), timeout=3000)
    window.close()
    assert devices.last.stopped.is_set() and not window.source_meter.listening
