"""A GGUF summary model run by llama.cpp (llama-cpp-python): quantized weights stay quantized on the CPU.

transformers dequantizes a GGUF file to float32: a 1.5B Q4_K_M model then needs about 7 GB of RAM and
makes under 2 tokens/s on one thread. llama.cpp runs the same file as it is (memory-mapped, about 1.2 GB
resident) at several times the speed, so it is the CPU runtime for every GGUF model; transformers stays
for model folders and for the CUDA 8-bit path.

`llama_cpp` is imported inside the functions: `import rtstt` stays light.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from pathlib import Path
from typing import Any

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelNotFound, OutOfMemory, RtsttError

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
MAX_CONTEXT = 4096  # enough for every prompt the summary builds; a bigger KV cache only costs RAM
KV_BYTES_PER_TOKEN_GUESS = 64 * 1024  # a 1.5B model's fp16 KV cache is ~28 KB/token; generous for 3B ones


def is_gguf(path: Path) -> bool:
    """Whether `path` starts with the GGUF magic (a renamed safetensors or a download error page does not)."""
    try:
        with path.open("rb") as f:
            return f.read(4) == GGUF_MAGIC
    except OSError:
        return False


@functools.cache
def have_llama_cpp() -> bool:
    """Whether the llama.cpp runtime loads here: the package and its shared library (a frozen build may
    carry the Python package without the library; then the transformers path is used)."""
    try:
        import llama_cpp  # noqa: F401
    except Exception as exc:  # ImportError, or OSError/FileNotFoundError for a missing libllama
        log.info("llama.cpp is not available: %s", exc)
        return False
    return True


def check_memory(path: Path, context: int) -> None:
    """Refuse a model that cannot fit in the RAM that is free now, with the numbers, instead of swapping
    the machine to a halt (or an abort inside llama.cpp) in the middle of a meeting."""
    import psutil

    need = path.stat().st_size + context * KV_BYTES_PER_TOKEN_GUESS + 200 * 2**20
    free = psutil.virtual_memory().available
    if need > free:
        raise OutOfMemory(
            f"the summary model {path.name} needs about {need / 2**30:.1f} GB of RAM and {free / 2**30:.1f} GB is free",
            "close other programs or choose a smaller summary model (for example a 1.5B Q4_K_M GGUF); "
            "the transcript is unaffected",
        )


class LlamaCppChat:
    """A chat model over one GGUF file: greedy answers, exact token counts, its context limit.

    Attributes the window shows: `name`, `runtime` ("llama.cpp"), `device` ("cpu"), `quantization` (the
    file's, e.g. "Q4_K_M"), `notes`; `stats` counts generated tokens and generation time for benchmarks.
    """

    runtime = "llama.cpp"

    def __init__(self, path: Path, *, name: str = "", threads: int = 1, context: int = MAX_CONTEXT) -> None:
        self.path = Path(path)
        self.name = name or self.path.stem
        self.device = "cpu"
        self.notes: list[str] = []
        self.stats = {"generated_tokens": 0, "generate_s": 0.0, "prompt_tokens": 0}
        if not self.path.is_file():
            raise ModelNotFound(f"the summary model file {self.path} does not exist", "choose a .gguf file")
        if not is_gguf(self.path):
            raise ModelNotFound(
                f"{self.path.name} is not a GGUF model (its first bytes are not 'GGUF')",
                "choose a .gguf file, or a model folder with config.json and *.safetensors",
            )
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise RtsttError("GGUF summary models need the llama.cpp runtime", setup_hint("summary")) from exc
        check_memory(self.path, context)
        t0 = time.perf_counter()
        try:
            with _quiet_stderr():
                self.llm = Llama(
                    model_path=str(self.path),
                    n_ctx=context,
                    n_threads=max(1, threads),
                    n_threads_batch=max(1, threads),
                    n_gpu_layers=0,
                    flash_attn=True,  # fused attention: a map call ~4 % faster on 2 cores (measured with Qwen2.5 1.5B)
                    verbose=False,
                )
        except (ValueError, RuntimeError) as exc:
            raise ModelNotFound(
                f"llama.cpp could not load {self.path.name} ({exc})",
                "the file may be damaged or of an architecture this llama.cpp does not know; choose another",
            ) from exc
        self.load_s = time.perf_counter() - t0
        trained = int(self.llm.n_ctx_train()) if hasattr(self.llm, "n_ctx_train") else context
        self.context_tokens = min(int(self.llm.n_ctx()), trained or context)
        self.quantization = _file_type(self.llm.metadata)
        if not self.llm.metadata.get("tokenizer.chat_template"):
            raise ModelNotFound(
                f"the summary model {self.name} has no chat template (it is not an instruct/chat model)",
                "choose an instruct model, e.g. Qwen2.5-1.5B-Instruct (GGUF)",
            )

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def generate(self, user: str, max_new_tokens: int, system: str) -> str:
        """The greedy answer to one user message after `system` (deterministic: meeting notes, not prose)."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        t0 = time.perf_counter()
        out = self.llm.create_chat_completion(
            messages=messages,
            max_tokens=max_new_tokens,
            temperature=0.0,
            top_k=1,
            repeat_penalty=1.1,
        )
        self.stats["generate_s"] += time.perf_counter() - t0
        usage = out.get("usage") or {}
        self.stats["generated_tokens"] += int(usage.get("completion_tokens", 0))
        self.stats["prompt_tokens"] += int(usage.get("prompt_tokens", 0))
        return str(out["choices"][0]["message"].get("content") or "")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.llm.close()


_FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K"}
_FILE_TYPES |= {11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S"}
_FILE_TYPES |= {17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}


def _file_type(metadata: dict[str, Any]) -> str:
    try:
        return _FILE_TYPES.get(int(metadata.get("general.file_type", -1)), "quantized")
    except (TypeError, ValueError):
        return "quantized"


@contextlib.contextmanager
def _quiet_stderr():
    """llama.cpp's C code prints its loading log to fd 2 even with verbose=False on some builds."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
