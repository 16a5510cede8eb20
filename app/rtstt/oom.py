"""One test for "the device ran out of memory", shared by the Whisper backend and the summary LLM.

CUDA running out of memory does not always surface as PyTorch's `torch.cuda.OutOfMemoryError`: cuBLAS
reports CUBLAS_STATUS_ALLOC_FAILED, bitsandbytes and CTranslate2 raise a RuntimeError that says "out of
memory". Each caller then turns it into a fallback or an `OutOfMemory` with the fix, not a crash.

torch is never imported here: when it is not loaded yet, no exception can be one of its types.
"""

from __future__ import annotations

import sys


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` means out of memory: PyTorch's CUDA error, or a RuntimeError saying so in its text."""
    torch = sys.modules.get("torch")
    oom_type = getattr(getattr(torch, "cuda", None), "OutOfMemoryError", None)
    if isinstance(oom_type, type) and isinstance(exc, oom_type):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("out of memory" in text.lower() or "ALLOC_FAILED" in text)
