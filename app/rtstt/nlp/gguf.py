"""A GGUF summary model, converted once: loaded dequantized, then saved as a safetensors copy.

transformers dequantizes a GGUF file on the CPU at every load (slow: about half a minute for the offline
default here), so the first load writes the plain weights as safetensors; later starts load that copy
fast, and only through it does a GGUF source reach the GPU (or 8/4-bit loading).

Heavy libraries (torch, transformers) are imported inside the functions: `import rtstt` stays light.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelNotFound, RtsttError
from rtstt.nlp.llm_device import dtype_kw


def load_gguf(folder: Path, gguf_file: str) -> tuple[Any, Any]:
    """(model, tokenizer) from `gguf_file` in `folder`, dequantized to float32 on the CPU."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, object] = {dtype_kw(): torch.float32}
    try:
        from transformers import GgufConfig

        kwargs["quantization_config"] = GgufConfig(dequantize=True)  # plain weights: savable, and bnb-able
    except ImportError:  # older transformers always dequantize GGUF files
        pass
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=gguf_file)
        model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=gguf_file, **kwargs)
    except ImportError as exc:
        raise RtsttError(f"loading {gguf_file} needs the gguf package ({exc})", setup_hint("summary")) from exc
    except (OSError, ValueError, KeyError) as exc:
        problem = f"cannot load the summary model {gguf_file}: {exc}"
        raise ModelNotFound(problem, "reinstall it, or choose another summary model") from exc
    return model, tokenizer


def save_copy(model: Any, tokenizer: Any, target: Path) -> None:
    """Write the dequantized model as safetensors, atomically: a temp folder, synced, renamed into place,
    so a crash or a full disk never leaves a half copy that a later start would trust.

    Raises OSError or ValueError when it cannot, with nothing left behind.
    """
    from rtstt.models.nlp_models import is_llm_folder

    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        for file in tmp.iterdir():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
        if is_llm_folder(target):  # another process finished first: keep its copy
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            if target.exists():  # a broken leftover that is not a model: ours replaces it
                shutil.rmtree(target)
            os.replace(tmp, target)
    except (OSError, ValueError):
        shutil.rmtree(tmp, ignore_errors=True)
        raise
