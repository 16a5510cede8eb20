"""The summary LLM through transformers: model folders, and the CUDA path (bf16/fp16, 8/4-bit with
bitsandbytes). GGUF files run through llama.cpp on the CPU (llamacpp.py); this runtime still loads them
where llama.cpp is missing or a GPU should run them (dequantized once, saved as safetensors: gguf.py).

What is asked of the model (the map-reduce notes) is in notes.py; the device and quantization choice in
llm_device.py.

Heavy libraries (torch, transformers) are imported inside functions: `import rtstt` stays light.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelNotFound, RtsttError
from rtstt.nlp.gguf import load_gguf, save_copy
from rtstt.nlp.llm_device import choose_placement, load_error, load_kwargs, no_gpu_notes, params_b
from rtstt.oom import is_out_of_memory

log = logging.getLogger(__name__)

MAX_CONTEXT = 4096  # the prompts the notes build fit easily; longer ones only cost time on a CPU
SYSTEM = "You summarize meetings. Write short, factual sentences."


class TransformersChat:
    """A local instruct LLM through transformers: greedy answers, token counts, its context limit.

    Attributes the window shows: `device` ("cuda" | "cpu"), `quantization` ("8bit" | "4bit" | "none"),
    `notes` (why it chose so, and any fallback), `source` (where the weights came from) and `path`.
    """

    def __init__(
        self,
        model: str = "",
        quantization: str = "auto",
        *,
        whisper: str = "tiny",
        threads: int = 1,
        models_dir: Path | None = None,
    ) -> None:
        from rtstt.models.nlp_models import summary_model_path

        self.requested = quantization
        self.whisper = whisper
        self.threads = threads
        self.notes: list[str] = []
        self.device = "cpu"
        self.quantization = "none"
        self.location = summary_model_path(model, models_dir)
        self.name = self.location.name
        self.source = self.location.source
        self.path = self.location.path
        self.load_s = 0.0
        self.model = None
        self.tokenizer = None
        self.stats = {"generated_tokens": 0, "generate_s": 0.0, "prompt_tokens": 0}
        t0 = time.perf_counter()
        self._load()
        self.load_s = time.perf_counter() - t0

    # -- loading -----------------------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            import torch
            import transformers  # noqa: F401
        except ImportError as exc:
            raise RtsttError(
                f"the summary needs torch and transformers ({exc.name} is missing)",
                setup_hint("summary"),
            ) from exc
        if self.location.gguf_file:
            self._load_gguf()  # dequantized on the CPU; saved as safetensors so the next start is fast
            if self.source != "cache" or not torch.cuda.is_available():
                self._on_cpu()
                return
            self.model = None  # reloaded below from the saved copy, onto the GPU
        device, quantization = self._choose_device()
        try:
            self._load_folder(device, quantization)
        except Exception as exc:
            if device != "cuda" or not is_out_of_memory(exc):
                raise
            self._fall_back_to_cpu("the GPU ran out of memory while loading the summary model")

    def _load_gguf(self) -> None:
        self.model, self.tokenizer = load_gguf(self.location.path, self.location.gguf_file)
        self._ensure_chat_template()
        target = self.location.cache
        if target is None:
            return
        try:
            save_copy(self.model, self.tokenizer, target)
        except (OSError, ValueError) as exc:
            log.warning("could not save the summary model copy to %s: %s", target, exc)
            self.notes.append(f"could not save a fast-loading copy ({exc}); the next start is slow again")
            return
        self.path, self.source = target, "cache"

    def _choose_device(self) -> tuple[str, str]:
        placement = choose_placement(self.requested, self.whisper, self.path)
        self.notes.extend(placement.notes)
        return placement.device, placement.quantization

    def params_b(self) -> float:
        """Parameters in billions, from the safetensors headers (exact) or the weight files' size."""
        return params_b(self.path)

    def _load_folder(self, device: str, quantization: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kwargs, quantization = load_kwargs(device, quantization)
        folder = str(self.path)
        try:
            if self.tokenizer is None:
                self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self.model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
        except Exception as exc:  # transformers raises OSError, ValueError, KeyError... for a wrong folder
            if device == "cuda" and is_out_of_memory(exc):
                raise
            raise load_error(self.name, exc) from exc
        self.model.eval()
        self._ensure_chat_template()
        self.device, self.quantization = device, quantization
        if device == "cpu":
            torch.set_num_threads(max(1, self.threads))

    def _on_cpu(self) -> None:
        import torch

        assert self.model is not None
        self.model.eval()
        self.device, self.quantization = "cpu", "none"
        torch.set_num_threads(max(1, self.threads))  # the transcript keeps the other cores
        self.notes.extend(no_gpu_notes(self.requested))

    def _fall_back_to_cpu(self, why: str) -> None:
        import torch

        self.model = None
        torch.cuda.empty_cache()
        self.notes.append(f"{why}: the summary runs on the CPU (slower; the transcript is unaffected)")
        self._load_folder("cpu", "none")  # a GGUF source reaches the GPU only through its saved copy

    def _ensure_chat_template(self) -> None:
        assert self.tokenizer is not None
        if not getattr(self.tokenizer, "chat_template", None):
            raise ModelNotFound(
                f"the summary model {self.name} has no chat template (it is not an instruct/chat model)",
                "choose an instruct model, e.g. HuggingFaceTB/SmolLM2-360M-Instruct or Qwen2.5-1.5B-Instruct",
            )

    runtime = "transformers"

    @property
    def context_tokens(self) -> int:
        """The model's trained context (max_position_embeddings), at most MAX_CONTEXT."""
        trained = getattr(getattr(self.model, "config", None), "max_position_embeddings", None) or MAX_CONTEXT
        return min(int(trained), MAX_CONTEXT)

    # -- generating --------------------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        assert self.tokenizer is not None
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def generate(self, user: str, max_new_tokens: int, system: str = SYSTEM) -> str:
        """Greedy answer to one user message; a CUDA out-of-memory moves the model to the CPU and retries."""
        try:
            return self._generate(user, max_new_tokens, system)
        except Exception as exc:
            if self.device != "cuda" or not is_out_of_memory(exc):
                raise
        self._fall_back_to_cpu("the GPU ran out of memory while summarizing")
        return self._generate(user, max_new_tokens, system)

    def _generate(self, user: str, max_new_tokens: int, system: str) -> str:
        import torch

        assert self.model is not None and self.tokenizer is not None
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            enc = self._chat(messages)
        except Exception:  # some templates (Gemma's) have no system role: say it in the user's turn
            enc = self._chat([{"role": "user", "content": f"{system}\n\n{user}"}])
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=pad,
            )
        new = out[0, enc["input_ids"].shape[1] :]
        self.stats["generate_s"] += time.perf_counter() - t0
        self.stats["generated_tokens"] += int(new.shape[0])
        self.stats["prompt_tokens"] += int(enc["input_ids"].shape[1])
        return self.tokenizer.decode(new, skip_special_tokens=True)

    def _chat(self, messages: list[dict[str, str]]):
        assert self.tokenizer is not None
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
