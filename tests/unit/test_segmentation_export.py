"""The segmentation export refuses anything but the pinned checkpoint, before unpickling a byte of it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rtstt.errors import RtsttError
from rtstt.models.segmentation_export import ASSET, export_segmentation, main


def test_a_file_that_is_not_a_wheel_is_refused_and_nothing_is_written(tmp_path: Path):
    bogus = tmp_path / "whisperx-3.8.6-py3-none-any.whl"
    bogus.write_text("not a zip")
    dest = tmp_path / "segmentation"
    with pytest.raises(RtsttError, match="is not a whisperx wheel"):
        export_segmentation(dest, bogus)
    assert not dest.exists() and [p.name for p in tmp_path.iterdir()] == [bogus.name]


def test_a_checkpoint_other_than_the_pinned_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    wheel = tmp_path / "whisperx-3.8.6-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(ASSET, b"something else entirely")
    assert main([str(tmp_path / "out"), "--wheel", str(wheel)]) == 1
    assert "is not the pinned segmentation model" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
