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
import json
import logging
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from rtstt.errors import RtsttError
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
    dest_folder = Path(dest_folder)
    dest_folder.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f".{dest_folder.name}-", dir=dest_folder.parent))
    work.chmod(0o755)
    try:
        source = _export_encoder(work / GE2E_MODEL_FILE)
        info = {"source": source, "opset": OPSET, "input": [INPUT, ["batch", PARTIAL_FRAMES, MEL_CHANNELS]]}
        info["exported_s"] = round(time.perf_counter() - started, 1)
        (work / "export.json").write_text(json.dumps(info, indent=1))
        if dest_folder.exists():
            shutil.rmtree(dest_folder)
        try:
            work.rename(dest_folder)
        except OSError:
            if not (dest_folder / GE2E_MODEL_FILE).is_file():  # not a concurrent export that finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported GE2E to ONNX in %.1f s: %s", time.perf_counter() - started, dest_folder)
    return dest_folder


def _export_encoder(onnx_file: Path) -> str:
    """resemblyzer's VoiceEncoder itself (its forward is the whole network); returns the weights' path."""
    try:
        import torch

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # its scipy.ndimage.morphology import
            from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise RtsttError(f"exporting the speaker model needs torch and resemblyzer ({exc.name} is missing)") from exc
    from rtstt.models.onnx_export import _without_onnx_package_check

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

    try:
        folder = export_ge2e(Path(args.dest) if args.dest else ge2e_onnx_user_path())
    except RtsttError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"{folder} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
