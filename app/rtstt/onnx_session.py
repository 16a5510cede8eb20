"""One way to open an ONNX model for the CPU: the app's ONNX networks (GE2E, WeSpeaker, the segmentation
network, MiniLM) run beside Whisper on a 2-core laptop, so each gets its own small thread budget and no
inter-op pool (more threads were slower there: they fought Whisper for the cores)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cpu_session(model_file: Path, threads: int = 1) -> Any:
    """An onnxruntime InferenceSession on the CPU with `threads` intra-op threads (at least one)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(model_file), sess_options=options, providers=["CPUExecutionProvider"])
