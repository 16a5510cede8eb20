"""FileSource reads what users have: WAV/FLAC/OGG through libsndfile, AAC/M4A and video through FFmpeg."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from rtstt.audio.sources import FileSource
from rtstt.errors import AudioEndedEarly, AudioFormatError
from tests.conftest import FIXTURES


def tone(rate: int, seconds: float = 2.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.4 * np.sin(2 * np.pi * 440 * t)
    return np.stack([mono] * channels, axis=1).astype(np.float32)


def write_aac(path: Path, samples: np.ndarray, rate: int, layout: str, options: dict | None = None) -> None:
    """`samples` (channels x frames, float32) as AAC in an MP4/M4A container, through PyAV."""
    with av.open(str(path), "w", options=options or {}) as container:
        stream = container.add_stream("aac", rate=rate, layout=layout)
        for i in range(0, samples.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(samples[:, i : i + 1024], format="fltp", layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def read_all(source: FileSource) -> np.ndarray:
    source.start()
    blocks = []
    while (block := source.read()) is not None:
        blocks.append(block)
    return np.concatenate(blocks)


def assert_is_the_tone(audio: np.ndarray, seconds: float = 2.0) -> None:
    assert abs(len(audio) - seconds * 16000) < 0.1 * 16000  # lossy codecs pad a little
    spectrum = np.abs(np.fft.rfft(audio[:16000] * np.hanning(16000)))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)


@pytest.mark.parametrize(("suffix", "rate"), [(".wav", 44100), (".flac", 48000), (".ogg", 22050)])
def test_libsndfile_formats_at_any_rate_become_16k_mono(tmp_path: Path, suffix: str, rate: int):
    path = tmp_path / f"tone{suffix}"
    sf.write(str(path), tone(rate), rate)
    assert_is_the_tone(read_all(FileSource(path)))


def test_m4a_through_ffmpeg(tmp_path: Path):
    path = tmp_path / "tone.m4a"
    write_aac(path, tone(44100).T.copy(), 44100, "stereo")
    assert_is_the_tone(read_all(FileSource(path)))


def test_corrupt_missing_and_folder_inputs_are_clear_errors(tmp_path: Path):
    with pytest.raises(AudioFormatError, match=r"corrupt\.wav"):
        FileSource(FIXTURES / "corrupt.wav")
    with pytest.raises(AudioFormatError, match="does not exist"):
        FileSource(tmp_path / "missing.wav")
    with pytest.raises(AudioFormatError, match="is a folder"):
        FileSource(tmp_path)
    text = tmp_path / "notes.mp3"
    text.write_text("this is not audio")
    with pytest.raises(AudioFormatError, match=r"notes\.mp3"):
        FileSource(text)


def test_stop_ends_the_stream():
    source = FileSource(FIXTURES / "utt_piper_1.flac", realtime=True)
    source.start()
    source.stop()
    assert source.read(timeout=0.1) is None


def noise(rate: int, seconds: float = 8.0) -> np.ndarray:
    """Noise barely compresses, so a byte offset is about the same share of the duration."""
    return (0.3 * np.random.default_rng(7).standard_normal(int(rate * seconds))).clip(-1, 1).astype(np.float32)


def damaged(path: Path, how: str) -> Path:
    """`path` cut off half-way ("truncated"), cut at the first FLAC frame after half-way ("between frames"),
    or with 2 KiB of garbage in the middle ("garbled")."""
    data = bytearray(path.read_bytes())
    half = len(data) // 2
    if how == "truncated":
        data = data[:half]
    elif how == "between frames":
        data = data[: data.index(b"\xff\xf8", half)]
    else:
        data[half : half + 2048] = bytes((i * 37 + 11) % 256 for i in range(2048))
    out = path.with_name(f"{how.replace(' ', '-')}-{path.name}")
    out.write_bytes(bytes(data))
    return out


def read_fast_or_in_real_time(source: FileSource, realtime: bool) -> np.ndarray:
    if not realtime:
        return read_all(source)
    source.start()
    source._t0 -= 100.0  # a replay whose clock is far ahead: every read is due at once, no waiting
    blocks = []
    while (block := source.read(timeout=0.01)) is not None:
        blocks.append(block)
    return np.concatenate(blocks)


FLAC_DAMAGE = ("flac decoder lost sync", "cut off before its end", "unknown error in flac decoder")
"""What libsndfile says depends on where a read meets the damage, not only on the damage."""


@pytest.mark.parametrize("realtime", [False, True])
@pytest.mark.parametrize("how", ["truncated", "between frames", "garbled"])
def test_a_flac_damaged_part_way_delivers_everything_before_the_damage_then_says_where(
    tmp_path: Path, how: str, realtime: bool
):
    path = tmp_path / "noise.flac"
    sf.write(str(path), noise(16000), 16000, subtype="PCM_16")
    original = sf.read(str(path), dtype="float32")[0]
    source = FileSource(damaged(path, how), realtime=realtime)
    audio = read_fast_or_in_real_time(source, realtime)
    assert isinstance(source.error, AudioEndedEarly)
    assert source.error.at_s == pytest.approx(len(audio) / 16000, abs=1e-3)
    assert 3.0 < source.error.at_s < 4.1  # the damage is at about 4 s of 8
    np.testing.assert_array_equal(audio, original[: len(audio)])  # lossless up to the damage
    assert str(source.error) in {
        f"ended early at {source.error.at_s:.1f} s: the file is damaged ({reason}) (the transcript up to there is kept)"
        for reason in FLAC_DAMAGE
    }
    assert source.read() is None  # and it stays ended


def test_a_whole_flac_ends_without_an_error(tmp_path: Path):
    path = tmp_path / "noise.flac"
    sf.write(str(path), noise(16000, 2.0), 16000, subtype="PCM_16")
    assert len(read_all(source := FileSource(path))) == 32000
    assert source.error is None


def test_an_m4a_damaged_part_way_ends_early_through_ffmpeg(tmp_path: Path):
    path = tmp_path / "noise.m4a"
    write_aac(path, noise(44100)[None, :], 44100, "mono", options={"movflags": "+faststart"})  # the index first
    for how in ("truncated", "garbled"):
        source = FileSource(damaged(path, how))
        audio = read_all(source)
        assert isinstance(source.error, AudioEndedEarly), how
        assert source.error.at_s == pytest.approx(len(audio) / 16000, abs=1e-3)
        assert 3.0 < source.error.at_s < 4.5, how


@pytest.mark.parametrize("suffix", [".mp3", ".ogg"])
@pytest.mark.parametrize("how", ["truncated", "garbled"])
def test_a_damaged_mp3_or_ogg_decodes_what_it_can_or_ends_early(tmp_path: Path, suffix: str, how: str):
    path = tmp_path / f"noise{suffix}"
    sf.write(str(path), noise(44100), 44100)
    source = FileSource(damaged(path, how))
    audio = read_all(source)
    assert len(audio) > 3.0 * 16000  # at least what came before the damage
    assert source.error is None or isinstance(source.error, AudioEndedEarly)
