"""Export resemblyzer's GE2E voice encoder to ONNX once, so speaker labels run on onnxruntime alone (no torch,
which the installed app would otherwise download as a 227 MB component). ./run.sh exports into the
repository's models/ folder; the frozen build exports at build time and bundles models/onnx/ge2e:

    python -m rtstt.models.ge2e_export build/onnx/ge2e

The graph is the network only (3-layer LSTM, linear, ReLU, L2 norm): mel frames [batch, 160, 40] ->
embeddings [batch, 256]; the mel spectrogram and the partial windows stay in numpy (rtstt.speakers.ge2e_onnx).
The export needs torch and resemblyzer (the `speakers` extra); reading it needs neither.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

from rtstt.errors import RtsttError
from rtstt.models.onnx_export import _without_onnx_package_check, run_export, write_export_folder
from rtstt.models.speaker_models import GE2E_MODEL_FILE

log = logging.getLogger(__name__)

OPSET = 17
INPUT = "mels"  # the names rtstt.speakers.ge2e_onnx reads
OUTPUT = "embeddings"
PARTIAL_FRAMES = 160  # resemblyzer's partials_n_frames (1.6 s)
MEL_CHANNELS = 40


def export_ge2e(dest_folder: Path) -> Path:
    """Write `dest_folder` (model.onnx, export.json) from resemblyzer's pretrained weights; returns it. The
    folder appears whole or not at all (written beside the destination, then renamed), as export_minilm's."""

    def fill(work: Path) -> dict[str, Any]:
        source = _export_encoder(work / GE2E_MODEL_FILE)
        return {"source": source, "opset": OPSET, "input": [INPUT, ["batch", PARTIAL_FRAMES, MEL_CHANNELS]]}

    return write_export_folder(dest_folder, GE2E_MODEL_FILE, fill, "GE2E")


def _export_encoder(onnx_file: Path) -> str:
    """resemblyzer's VoiceEncoder itself (its forward is the whole network); returns the weights' path."""
    try:
        import torch

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # its scipy.ndimage.morphology import
            from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise RtsttError(f"exporting the speaker model needs torch and resemblyzer ({exc.name} is missing)") from exc
    model = VoiceEncoder("cpu", verbose=False).eval()
    example = torch.rand(2, PARTIAL_FRAMES, MEL_CHANNELS)
    with (
        torch.no_grad(),
        _without_onnx_package_check(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")  # the tracer's warning about LSTMs with a batch_first input
        torch.onnx.export(
            model,
            (example,),
            str(onnx_file),
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the torch.export-based exporter needs onnxscript, which the app does not carry
        )
    import resemblyzer

    return str(Path(resemblyzer.__file__).resolve().parent / "pretrained.pt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rtstt.models.ge2e_export", description=__doc__.split("\n")[0])
    parser.add_argument("dest", nargs="?", help="the folder to write (default: the user models folder's copy)")
    args = parser.parse_args(argv)
    from rtstt.models.speaker_models import ge2e_onnx_user_path

    return run_export(lambda: export_ge2e(Path(args.dest) if args.dest else ge2e_onnx_user_path()))


if __name__ == "__main__":
    sys.exit(main())
