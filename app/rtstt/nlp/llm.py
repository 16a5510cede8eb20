"""Which runtime runs the summary model: llama.cpp for GGUF files on the CPU, transformers otherwise.

A GGUF file on a machine without CUDA goes to llama.cpp (quantized, memory-mapped, several times faster
than transformers' dequantized float32). A transformers folder, or any model when a CUDA GPU is there and
the user did not ask for the CPU, goes to transformers (bf16/fp16, or 8/4-bit with bitsandbytes: the
design's GPU path). Where llama.cpp is not installed, GGUF files still load through transformers, with a
note that says why it is slow.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from rtstt.models.nlp_models import DEFAULT_LLM, summary_gguf_file
from rtstt.nlp.llamacpp import LlamaCppChat, have_llama_cpp

OFFLINE_FALLBACK_NOTE = (
    "SmolLM2-135M is the small offline fallback: its notes are short and often copied from the transcript; "
    "download a 1.5B-3B instruct model (Models › Summary) for summaries worth reading"
)


def _cuda_available() -> bool:
    """A CUDA GPU is there (through torch, when torch is installed): GGUF models then go to transformers.
    CTranslate2 (always here, for Whisper) is asked first: on a machine without a GPU, importing torch only
    to hear "no" cost 0.4 GB of resident memory next to the summary model (2.46 GB against 2.05 GB)."""
    if importlib.util.find_spec("torch") is None:
        return False
    try:
        import ctranslate2

        if ctranslate2.get_cuda_device_count() == 0:
            return False
    except Exception:  # an odd CTranslate2 build: torch decides
        pass
    import torch

    return bool(torch.cuda.is_available())


def load_chat_model(
    model: str = "",
    threads: int = 1,
    *,
    quantization: str = "auto",
    whisper: str = "tiny",
    runtime: str = "auto",
    models_dir: Path | None = None,
) -> Any:
    """The summary model named by `model` ("" for the offline default, a folder, a .gguf file, a name in
    the models folder, or a Hugging Face id in the local cache), loaded in the runtime that suits it.

    `runtime` forces "llama.cpp" or "transformers" (benchmarks and tests); "auto" picks as above.
    """
    gguf = summary_gguf_file(model, models_dir)
    use_llama = runtime == "llama.cpp" or (
        runtime == "auto" and gguf is not None and have_llama_cpp() and not _cuda_available()
    )
    if use_llama:
        if gguf is None:
            from rtstt.errors import ModelNotFound

            raise ModelNotFound(f"llama.cpp needs a .gguf file; '{model}' is not one", "choose a .gguf file")
        raw = model.strip()
        name = _display_name(raw, gguf)
        chat = LlamaCppChat(gguf, name=name, threads=threads)
    else:
        from rtstt.nlp.transformers_chat import TransformersChat

        chat = TransformersChat(model, quantization, whisper=whisper, threads=threads, models_dir=models_dir)
        if gguf is not None and chat.device == "cpu" and not have_llama_cpp():
            chat.notes.append("llama.cpp is not installed: this GGUF model runs dequantized (slow, more RAM)")
    chat.weak = chat.name == DEFAULT_LLM  # RollingNotes adds the commitments said to its few items
    if chat.weak:
        chat.notes.append(OFFLINE_FALLBACK_NOTE)
    return chat


def _display_name(raw: str, gguf: Path) -> str:
    """The offline default by its name, a model-manager name as itself, a file by its stem."""
    if not raw or raw == DEFAULT_LLM:
        return DEFAULT_LLM
    return gguf.stem if Path(raw).expanduser().exists() else raw


def describe(chat: Any) -> str:
    """ "SmolLM2-135M-Instruct on the CPU (llama.cpp, Q8_0)", plus its notes: what the panel shows."""
    if chat.device == "cpu":
        precision = chat.quantization if chat.runtime == "llama.cpp" else "float32"
        where = f"on the CPU ({chat.runtime}, {precision})"
    else:
        precision = "16-bit" if chat.quantization == "none" else chat.quantization
        where = f"on the GPU ({precision})"
    return "; ".join([f"{chat.name} {where}", *chat.notes])
