"""The settings dialog driven through its widgets: what OK saves, what a bad value does, where the token goes."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QDoubleSpinBox, QLabel, QLineEdit, QSpinBox

from rtstt import config
from rtstt.audio.devices import DeviceInfo
from rtstt.config import Settings
from rtstt.errors import AudioDeviceError
from rtstt.gui.settings_dialog import TOKEN_MASK, SettingsDialog

TOKEN = "hf_secretTOKEN123"


@pytest.fixture(autouse=True)
def _no_real_keyring(memory_keyring):
    """No test touches the real keyring."""
    return memory_keyring


@pytest.fixture(autouse=True)
def fake_devices(monkeypatch: pytest.MonkeyPatch):
    """A machine with one microphone, one monitor source and no PortAudio, whatever this machine has."""
    mic = DeviceInfo("alsa/usb-mic", "USB Mic", "input", "ALSA", 1, 48000, is_default=True, index=3)
    monitor = DeviceInfo("pulse/speakers.monitor", "Speakers", "loopback", "PulseAudio", 2, 48000)

    def list_devices(problems=None):
        if problems is not None:
            problems.append(AudioDeviceError("cannot list audio devices: no PortAudio", "install libportaudio2"))
        return [mic, monitor]

    monkeypatch.setattr("rtstt.audio.devices.list_devices", list_devices)


def open_dialog(qtbot, settings: Settings | None = None) -> SettingsDialog:
    dialog = SettingsDialog(settings or config.load())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def field(dialog: SettingsDialog, name: str, kind=None):
    widget = dialog.findChild(kind, name) if kind else dialog.findChild(object, name)
    assert widget is not None, name
    return widget


def click(qtbot, dialog: SettingsDialog, which: QDialogButtonBox.StandardButton) -> None:
    qtbot.mouseClick(dialog.buttons.button(which), Qt.MouseButton.LeftButton)


def type_into(qtbot, combo_or_edit, text: str) -> None:
    edit = combo_or_edit.lineEdit() if isinstance(combo_or_edit, QComboBox) else combo_or_edit
    edit.clear()
    qtbot.keyClicks(edit, text)


OK = QDialogButtonBox.StandardButton.Ok
APPLY = QDialogButtonBox.StandardButton.Apply
CANCEL = QDialogButtonBox.StandardButton.Cancel


def test_editors_show_the_settings_they_were_given(qtbot):
    settings = Settings().with_overrides(
        stt__model="small", stt__language="de", vad__threshold=0.3, appearance__theme="dark", audio__source="mix"
    )
    dialog = open_dialog(qtbot, settings)
    assert dialog.values() == settings.to_dict()
    assert field(dialog, "audio.source", QComboBox).currentText() == "System audio + microphone"
    assert field(dialog, "appearance.theme", QComboBox).currentText() == "Dark"
    assert open_dialog(qtbot, Settings()).values() == Settings().to_dict()


def test_ok_saves_what_was_changed_and_announces_it(qtbot, isolated_home):
    dialog = open_dialog(qtbot)
    type_into(qtbot, field(dialog, "stt.model", QComboBox), "/opt/models/my-whisper")
    field(dialog, "stt.language", QComboBox).setCurrentText("fr")
    field(dialog, "appearance.theme", QComboBox).setCurrentText("Dark")
    field(dialog, "vad.threshold", QDoubleSpinBox).setValue(0.6)
    field(dialog, "vad.min_silence_ms", QSpinBox).setValue(400)
    field(dialog, "audio.source", QComboBox).setCurrentText("Microphone")
    mic = field(dialog, "audio.device", QComboBox)
    mic.setCurrentIndex(mic.findData("alsa/usb-mic"))

    with qtbot.waitSignal(dialog.settingsChanged, timeout=2000) as signal:
        click(qtbot, dialog, OK)

    saved = config.load()
    assert (saved.stt.model, saved.stt.language, saved.appearance.theme) == ("/opt/models/my-whisper", "fr", "dark")
    assert (saved.vad.threshold, saved.vad.min_silence_ms) == (0.6, 400)
    assert (saved.audio.source, saved.audio.device) == ("mic", "alsa/usb-mic")
    assert signal.args[0] == saved == dialog.settings
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert not dialog.isVisible()


def test_a_language_label_or_a_typed_code_both_mean_the_code(qtbot):
    dialog = open_dialog(qtbot)
    language = field(dialog, "stt.language", QComboBox)
    language.setCurrentIndex(language.findData("ja"))
    assert dialog.values()["stt"]["language"] == "ja"
    language.setCurrentText("ko")
    assert dialog.values()["stt"]["language"] == "ko"


@pytest.mark.parametrize(
    ("name", "text", "page", "words"),
    [
        ("storage.sessions_dir", "relative/path", "Storage", ["storage.sessions_dir", "choose a full path"]),
        ("stt.language", "english", "Transcription", ["stt.language", "'english'"]),
    ],
)
def test_an_invalid_value_is_named_and_nothing_is_saved(qtbot, isolated_home, name, text, page, words):
    dialog = open_dialog(qtbot)
    field(dialog, "appearance.theme", QComboBox).setCurrentText("Light")
    dialog.sections.setCurrentRow(0)
    widget = field(dialog, name)
    if isinstance(widget, QComboBox):
        widget.setCurrentText(text)
    else:
        type_into(qtbot, widget, text)
    fired = []
    dialog.settingsChanged.connect(fired.append)

    click(qtbot, dialog, OK)

    error = field(dialog, "settingsError", QLabel)
    assert error.isVisible()
    assert all(w in error.text() for w in words)
    assert dialog.isVisible()
    assert dialog.sections.currentItem().text() == page
    assert dialog.stack.currentIndex() == dialog.sections.currentRow()
    assert not config.user_dirs().config_file.exists()
    assert fired == []

    if isinstance(widget, QComboBox):
        widget.setCurrentText("de")
    else:
        type_into(qtbot, widget, "")
    click(qtbot, dialog, OK)  # fixed: saves and closes
    assert error.isHidden()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert config.load().appearance.theme == "light"


def test_cancel_saves_nothing(qtbot, isolated_home):
    dialog = open_dialog(qtbot)
    field(dialog, "appearance.theme", QComboBox).setCurrentText("Dark")
    type_into(qtbot, field(dialog, "speakers.hf_token", QLineEdit), TOKEN)
    fired = []
    dialog.settingsChanged.connect(fired.append)

    click(qtbot, dialog, CANCEL)

    assert dialog.result() == SettingsDialog.DialogCode.Rejected
    assert not config.user_dirs().config_file.exists()
    assert fired == []
    assert keyring.get_password("rtstt", "huggingface-token") is None


def test_apply_saves_and_keeps_the_dialog_open(qtbot):
    dialog = open_dialog(qtbot)
    field(dialog, "appearance.font_size", QSpinBox).setValue(14)
    with qtbot.waitSignal(dialog.settingsChanged, timeout=2000):
        click(qtbot, dialog, APPLY)
    assert config.load().appearance.font_size == 14
    assert dialog.isVisible()


def test_the_token_goes_to_the_keyring_and_never_to_config(qtbot, memory_keyring, isolated_home):
    dialog = open_dialog(qtbot)
    token = field(dialog, "speakers.hf_token", QLineEdit)
    assert token.echoMode() == QLineEdit.EchoMode.Password
    assert "keyring" in token.placeholderText()
    type_into(qtbot, token, TOKEN)
    click(qtbot, dialog, OK)

    assert memory_keyring.store[("rtstt", "huggingface-token")] == TOKEN
    assert config.user_dirs().config_file.exists()
    for path in isolated_home.rglob("*"):
        assert not path.is_file() or TOKEN not in path.read_text(errors="ignore")

    again = open_dialog(qtbot)
    shown = field(again, "speakers.hf_token", QLineEdit)
    assert shown.text() == TOKEN_MASK  # there is a token, but it is never read back into the window
    assert field(again, "speakers.forgetToken").isEnabled()
    click(qtbot, again, OK)  # an untouched mask is not a new token
    assert memory_keyring.store[("rtstt", "huggingface-token")] == TOKEN

    third = open_dialog(qtbot)
    qtbot.keyClicks(field(third, "speakers.hf_token", QLineEdit), "hf_new")  # typing replaces the mask
    click(qtbot, third, OK)
    assert memory_keyring.store[("rtstt", "huggingface-token")] == "hf_new"


def test_forget_token_clears_it(qtbot, memory_keyring):
    memory_keyring.store[("rtstt", "huggingface-token")] = TOKEN
    dialog = open_dialog(qtbot)
    forget = field(dialog, "speakers.forgetToken")
    qtbot.mouseClick(forget, Qt.MouseButton.LeftButton)
    assert memory_keyring.store == {}
    assert field(dialog, "speakers.hf_token", QLineEdit).text() == ""
    assert not forget.isEnabled()


def test_a_keyring_failure_is_shown_but_the_settings_are_saved(qtbot, monkeypatch):
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    dialog = open_dialog(qtbot)
    field(dialog, "appearance.theme", QComboBox).setCurrentText("Dark")
    type_into(qtbot, field(dialog, "speakers.hf_token", QLineEdit), TOKEN)
    with qtbot.waitSignal(dialog.settingsChanged, timeout=2000):
        click(qtbot, dialog, OK)

    error = field(dialog, "settingsError", QLabel)
    assert error.isVisible() and "keyring" in error.text()
    assert TOKEN not in error.text()
    assert dialog.isVisible()
    assert dialog.sections.currentItem().text() == "Speakers"
    assert config.load().appearance.theme == "dark"


def test_devices_are_offered_and_a_listing_problem_is_a_note(qtbot):
    dialog = open_dialog(qtbot)
    mic = field(dialog, "audio.device", QComboBox)
    loop = field(dialog, "audio.loopback_device", QComboBox)
    assert [mic.itemData(i) for i in range(mic.count())] == ["", "alsa/usb-mic"]
    assert [loop.itemData(i) for i in range(loop.count())] == ["", "pulse/speakers.monitor"]
    assert mic.currentText() == "System default"
    note = field(dialog, "audio.devicesNote", QLabel)
    assert note.isVisible() and "no PortAudio" in note.text()
    type_into(qtbot, mic, "alsa/another-mic")  # a device that is not plugged in now can still be chosen
    assert dialog.values()["audio"]["device"] == "alsa/another-mic"


def test_a_broken_device_listing_does_not_break_the_dialog(qtbot, monkeypatch):
    def broken(problems=None):
        raise OSError("PortAudio library not found")

    monkeypatch.setattr("rtstt.audio.devices.list_devices", broken)
    dialog = open_dialog(qtbot)
    assert "PortAudio library not found" in field(dialog, "audio.devicesNote", QLabel).text()
    assert field(dialog, "audio.device", QComboBox).count() == 1


def test_models_list_installed_first_then_the_registry(qtbot):
    from rtstt.models.manager import ModelManager
    from rtstt.models.registry import all_specs

    dialog = open_dialog(qtbot)
    model = field(dialog, "stt.model", QComboBox)
    names = [model.itemData(i) for i in range(model.count())]
    installed = [m.name for m in ModelManager().installed()]
    assert names[: len(installed)] == installed
    assert set(names) >= {s.name for s in all_specs()}
    assert model.currentText() == "" and "automatic" in model.lineEdit().placeholderText()


def test_sections_switch_pages_and_widgets_are_named(qtbot):
    dialog = open_dialog(qtbot)
    titles = [dialog.sections.item(i).text() for i in range(dialog.sections.count())]
    assert titles == ["Audio", "Transcription", "Speakers", "Insights", "Summary", "Storage", "Appearance"]
    dialog.sections.setCurrentRow(4)
    assert dialog.stack.currentWidget().objectName() == "page.summary"
    assert "SmolLM2-135M-Instruct" in field(dialog, "summary.model", QLineEdit).placeholderText()
    assert str(config.user_dirs().sessions) == field(dialog, "storage.sessions_dir", QLineEdit).placeholderText()
    for name in ("stt.device", "stt.compute_type", "speakers.backend", "summary.quantization", "audio.realtime"):
        field(dialog, name)


def test_ranges_and_choices_are_the_ones_validation_uses(qtbot):
    """The dialog offers exactly what saving accepts: no second copy of a bound or a choice list."""
    dialog = open_dialog(qtbot)
    for key, (low, high) in config.BOUNDS.items():
        spin = dialog.fields.get(key)
        if spin is None:
            continue  # not every setting has an editor (vad.speech_pad_ms)
        assert spin.maximum() == pytest.approx(high), key
        assert spin.minimum() == pytest.approx(0 if spin.specialValueText() else low), key
    for key, allowed in config.CHOICES.items():
        combo = field(dialog, key, QComboBox)
        assert tuple(combo.itemData(i) for i in range(combo.count())) == allowed, key


def test_the_number_of_speakers_is_set_with_zero_meaning_automatic(qtbot, isolated_home):
    dialog = open_dialog(qtbot)
    count = field(dialog, "speakers.count", QSpinBox)
    assert count.value() == 0 and count.specialValueText() == "automatic" and count.text() == "automatic"
    assert count.maximum() == config.BOUNDS["speakers.count"][1]
    form = dialog.stack.widget(dialog._page_of["speakers"]).layout()
    assert form.labelForField(count).text() == "Number of speakers"
    threshold = field(dialog, "speakers.threshold", QDoubleSpinBox)
    assert "different" in form.labelForField(threshold).text().lower()  # a lower bound, not "join a speaker"
    assert "always different people" in threshold.toolTip()
    count.setValue(3)
    with qtbot.waitSignal(dialog.settingsChanged, timeout=2000):
        click(qtbot, dialog, OK)
    assert config.load().speakers.count == 3
    assert field(open_dialog(qtbot), "speakers.count", QSpinBox).value() == 3
