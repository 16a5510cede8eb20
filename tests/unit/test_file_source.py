"""FileSource reads what users have: WAV/FLAC/OGG through libsndfile, AAC/M4A and video through FFmpeg."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from rtstt.audio.sources import FileSource
from rtstt.errors import AudioFormatError
from tests.conftest import FIXTURES


def tone(rate: int, seconds: float = 2.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.4 * np.sin(2 * np.pi * 440 * t)
    return np.stack([mono] * channels, axis=1).astype(np.float32)


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
    rate = 44100
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate, layout="stereo")
        samples = tone(rate).T.copy()
        for i in range(0, samples.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(samples[:, i : i + 1024], format="fltp", layout="stereo")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
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
