"""Where the summary LLM runs and in what precision: a CUDA GPU (bf16/fp16, or 8/4-bit with bitsandbytes)
or the CPU in float32.

With quantization "auto" the GPU plan (`rtstt.gpu_plan`) decides from the free VRAM beside Whisper;
an explicit 8bit/4bit/none is taken as asked when a GPU is there. The out-of-memory fallback to the CPU
is the Summarizer's: it owns the loaded model.

Heavy libraries (torch, transformers) are imported inside the functions: `import rtstt` stays light.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelNotFound, OutOfMemory, RtsttError


@dataclass(frozen=True, slots=True)
class Placement:
    device: str  # "cuda" | "cpu"
    quantization: str  # "8bit" | "4bit" | "none" (on the GPU: its bf16/fp16)
    notes: tuple[str, ...] = ()  # why, for the window


def choose_placement(requested: str, whisper: str, folder: Path) -> Placement:
    """The device and quantization for the model in `folder`, asked as `requested` beside Whisper `whisper`."""
    import torch

    if not torch.cuda.is_available():
        return Placement("cpu", "none", no_gpu_notes(requested))
    if requested != "auto":
        return Placement("cuda", requested)
    from rtstt.gpu_plan import plan

    free, _total = torch.cuda.mem_get_info()
    # Whisper's weights already sit in the used part of VRAM; counting it again (at int8) errs safe.
    gpu = plan(free / 2**20, whisper or "tiny", "int8", llm_params_b=params_b(folder), llm_quantization="auto")
    if gpu.llm_device != "cuda":
        return Placement("cpu", "none", tuple(gpu.notes))
    return Placement("cuda", gpu.llm_quantization, tuple(n for n in gpu.notes if "summary" in n))


def no_gpu_notes(requested: str) -> tuple[str, ...]:
    if requested in ("8bit", "4bit"):
        return (f"{requested} needs a CUDA GPU: the summary runs on the CPU in float32",)
    return ()


def params_b(folder: Path) -> float:
    """Parameters in billions, from the safetensors headers (exact) or the weight files' size."""
    total = 0
    for file in Path(folder).glob("*.safetensors"):
        try:
            with open(file, "rb") as handle:
                (size,) = struct.unpack("<Q", handle.read(8))
                header = json.loads(handle.read(size))
            total += sum(prod(t["shape"]) for k, t in header.items() if k != "__metadata__")
        except (OSError, ValueError, KeyError, struct.error):
            total += file.stat().st_size // 2
    if not total:
        total = sum(f.stat().st_size for f in Path(folder).glob("pytorch_model*.bin")) // 2
    return total / 1e9


def load_kwargs(device: str, quantization: str) -> tuple[dict[str, Any], str]:
    """`from_pretrained` arguments for `device`, and the quantization they give (always "none" on the CPU)."""
    import torch

    kwargs: dict[str, Any] = {}
    if device == "cuda":
        # bf16 where the GPU has it: today's LLMs are trained in it and can overflow in fp16
        half = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        kwargs["device_map"] = {"": 0}
        kwargs[dtype_kw()] = half  # also the unquantized parts (embeddings, norms) of an 8/4-bit model
        if quantization in ("8bit", "4bit"):
            kwargs["quantization_config"] = bnb_config(quantization, half)
        return kwargs, quantization
    kwargs[dtype_kw()] = torch.float32
    return kwargs, "none"


def bnb_config(quantization: str, compute_dtype: Any) -> Any:
    try:
        from transformers import BitsAndBytesConfig
    except ImportError as exc:  # pragma: no cover - transformers always has it
        raise RtsttError("this transformers has no bitsandbytes support", setup_hint("summary")) from exc
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as exc:
        raise RtsttError(
            f"{quantization} loading needs bitsandbytes", "pip install bitsandbytes or set summary.quantization to none"
        ) from exc
    if quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute_dtype)


def dtype_kw() -> str:
    """transformers 4.56 renamed `torch_dtype` to `dtype`; the summary extra allows older ones too."""
    import transformers
    from packaging.version import Version

    return "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"


def load_error(name: str, exc: Exception) -> RtsttError:
    """What a failed load of the summary model `name` means for the user, with the fix."""
    text = str(exc)
    kind = type(exc).__name__
    if kind == "GatedRepoError" or "gated" in text.lower():
        return ModelNotFound(
            f"'{name}' is a gated model and this account has no access",
            "accept its license on huggingface.co, log in (Settings > Hugging Face token), then download it",
        )
    if "out of memory" in text.lower():
        return OutOfMemory(f"not enough memory to load the summary model {name}", "choose a smaller model")
    return ModelNotFound(
        f"cannot load the summary model {name}: {text.splitlines()[0] if text else kind}",
        "choose an instruct model folder (config.json and weights) or a Hugging Face id in Settings",
    )
