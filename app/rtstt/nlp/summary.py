"""Rolling meeting summary with a local instruct LLM (transformers): loading it, prompting it, checking it.

The summary is incremental: each update sees the previous summary plus only the transcript that arrived
since, so its cost stays flat over a two-hour meeting. The offline default, SmolLM2-135M-Instruct, is
small enough for any laptop CPU but weak: it echoes prompts, loops, drops what it was told to keep and
invents tasks. So every answer is cleaned up and checked against the transcript; when the check fails,
an extractive summary (the most central sentences that were actually said) is shown instead, and action
items always include a deterministic pass over commitment sentences ("I will", "let's", "by Friday").
A bigger model chosen in Settings simply passes the checks more often.

The text rules are in summary_text.py and action_items.py, the GGUF conversion in gguf.py, the device
and quantization choice in llm_device.py.

Heavy libraries (torch, transformers) are imported inside functions: `import rtstt` stays light.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelNotFound, RtsttError
from rtstt.nlp.action_items import find_action_items, merge_items, parse_items
from rtstt.nlp.gguf import load_gguf, save_copy
from rtstt.nlp.llm_device import choose_placement, load_error, load_kwargs, no_gpu_notes, params_b
from rtstt.nlp.summary_text import clean_output, is_useful, keep_newest, limit_sentences, rolling_extract
from rtstt.oom import is_out_of_memory

log = logging.getLogger(__name__)

SUMMARY_TOKENS = 96  # new tokens per summary: 2-4 sentences; a bound on CPU time too (~10 tokens/s here)
ITEMS_TOKENS = 72
INPUT_TOKENS = 640  # the newest transcript that fits the prompt; SmolLM2 is trained on 8k but weak past ~1k
PREVIOUS_TOKENS = 200
MAX_SUMMARY_SENTENCES = 5
SYSTEM = "You summarize meetings. Write short, factual sentences."
ITEMS_SYSTEM = "You extract action items from meetings."


class Summarizer:
    """A local instruct LLM that writes the rolling summary and the action items.

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
        return self.tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)

    def _chat(self, messages: list[dict[str, str]]):
        assert self.tokenizer is not None
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def _ask(self, user: str, max_new_tokens: int, system: str = SYSTEM) -> str:
        """The model's answer, or "" when generating fails: a broken model must still leave a summary."""
        try:
            return self.generate(user, max_new_tokens, system)
        except RtsttError:
            raise
        except Exception as exc:
            log.exception("the summary model failed")
            self.notes.append(f"the summary model failed ({exc}); showing an extractive summary")
            return ""

    # -- the summary -------------------------------------------------------------------------------------
    def update(self, previous_summary: str, new_text: str) -> str:
        """The rolling summary: the previous summary plus only what was said since (the newest part of it
        that fits the prompt). Falls back to the extractive summary when the answer is not useful."""
        new_text = " ".join(new_text.split())
        if not new_text:
            return previous_summary
        previous = keep_newest(previous_summary, PREVIOUS_TOKENS, self.count_tokens)
        new = keep_newest(new_text, INPUT_TOKENS, self.count_tokens)
        if previous:
            instruction = "Summarize the whole meeting in 3 to 4 sentences."
            prompt = f"Summary of the meeting so far:\n{previous}\n\nThe meeting continued:\n{new}\n\n{instruction}"
        else:
            instruction = "Summarize this meeting in 2 to 3 sentences."
            prompt = f"Meeting transcript:\n{new}\n\n{instruction}"
        answer = clean_output(self._ask(prompt, SUMMARY_TOKENS), echo=(instruction, SYSTEM))
        if is_useful(answer, f"{previous} {new}", keep=previous):
            return limit_sentences(answer, MAX_SUMMARY_SENTENCES)
        return rolling_extract(previous, new)

    def action_items(self, transcript: str) -> list[str]:
        """Commitment sentences from all of `transcript`, plus the model's own list over its newest part."""
        text = " ".join(transcript.split())
        if not text:
            return []
        found = find_action_items(text)
        recent = keep_newest(text, INPUT_TOKENS, self.count_tokens)
        instruction = "List the action items from this meeting, one per line."
        answer = self._ask(f"{recent}\n\n{instruction}", ITEMS_TOKENS, system=ITEMS_SYSTEM)
        return merge_items(found, parse_items(answer), text)

    def final(self, previous_summary: str, transcript_tail: str, earlier: str = "") -> tuple[str, list[str]]:
        """The summary at stop, with action items. `transcript_tail` is what was said since the previous
        summary; `earlier` (the rest of the session, optional) is read for action items only: the previous
        summary already carries its content, but not every task said in it."""
        summary = self.update(previous_summary, transcript_tail) if transcript_tail.strip() else previous_summary
        return summary, self.action_items(f"{earlier} {transcript_tail}")
