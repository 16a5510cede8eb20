from pathlib import Path

import pytest

from rtstt import config
from rtstt.errors import SettingsError


def test_defaults_are_valid_and_round_trip_through_toml(tmp_path: Path):
    settings = config.Settings().with_overrides(stt__model="base", vad__min_silence_ms=400)
    path = config.save(settings, tmp_path / "config.toml")
    loaded = config.load(path, env={})
    assert loaded.stt.model == "base"
    assert loaded.vad.min_silence_ms == 400
    assert loaded == settings


def test_environment_overrides_the_file(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('[stt]\nmodel = "small"\nthreads = 2\n')
    loaded = config.load(path, env={"RTSTT_STT_MODEL": "tiny.en", "RTSTT_STT_THREADS": "1"})
    assert loaded.stt.model == "tiny.en"
    assert loaded.stt.threads == 1


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[stt]\nbeam_size = 0\n", "stt.beam_size must be between"),
        ('[stt]\ndevice = "tpu"\n', "stt.device must be one of"),
        ('[stt]\nmodle = "base"\n', "unknown setting stt.modle"),
        ("[nope]\nx = 1\n", "unknown section [nope]"),
        ('[vad]\nthreshold = "high"\n', "vad.threshold must be a number"),
        ("[stt\n", "is not valid TOML"),
    ],
)
def test_bad_settings_name_the_key_and_the_fix(tmp_path: Path, toml: str, message: str):
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(SettingsError) as err:
        config.load(path, env={})
    assert message in str(err.value)


def test_bad_environment_value_is_reported_not_crashed():
    with pytest.raises(SettingsError, match=r"stt\.threads must be a whole number"):
        config.load(Path("/nonexistent/config.toml"), env={"RTSTT_STT_THREADS": "many"})


def test_rtstt_home_moves_every_user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RTSTT_HOME", str(tmp_path))
    dirs = config.user_dirs()
    assert dirs.config_file == tmp_path / "config" / "config.toml"
    assert dirs.sessions == tmp_path / "data" / "sessions"
    assert dirs.models == tmp_path / "data" / "models"


@pytest.mark.parametrize("code", ["en", "de", "haw", "yue", "auto"])
def test_every_whisper_language_code_and_auto_are_accepted(code: str):
    assert config.Settings().with_overrides(stt__language=code).stt.language == code


@pytest.mark.parametrize("code", ["xx", "english", "EN", "", "en-US"])
def test_an_unknown_language_fails_validation_and_lists_the_valid_codes(code: str):
    with pytest.raises(SettingsError) as err:
        config.Settings().with_overrides(stt__language=code)
    assert err.value.message == f"unknown language {code!r} for stt.language"
    assert err.value.hint.startswith("valid codes: af, am, ar, ") and err.value.hint.endswith(", yue, or auto")
    assert "\n" not in str(err.value)


def test_the_language_codes_are_faster_whispers_and_the_window_offers_only_those():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    from rtstt.vocab import LANGUAGES, WHISPER_LANGUAGE_CODES

    assert tuple(_LANGUAGE_CODES) == WHISPER_LANGUAGE_CODES
    assert set(LANGUAGES) <= {"auto", *WHISPER_LANGUAGE_CODES}


def test_a_vocabulary_too_long_to_prime_the_decoder_is_refused_with_the_fix():
    from rtstt.config import MAX_VOCABULARY_CHARS, Settings

    assert Settings().with_overrides(stt__vocabulary="Siobhan, Kubernetes").stt.vocabulary == "Siobhan, Kubernetes"
    with pytest.raises(SettingsError, match=r"stt\.vocabulary"):
        Settings().with_overrides(stt__vocabulary="x" * (MAX_VOCABULARY_CHARS + 1))
