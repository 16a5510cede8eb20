"""Rolling meeting summary with a local instruct LLM (transformers), and the plain-text work around it.

The summary is incremental: each update sees the previous summary plus only the transcript that arrived
since, so its cost stays flat over a two-hour meeting. The offline default, SmolLM2-135M-Instruct, is
small enough for any laptop CPU but weak: it echoes prompts, loops, drops what it was told to keep and
invents tasks. So every answer is cleaned up and checked against the transcript; when the check fails,
an extractive summary (the most central sentences that were actually said) is shown instead, and action
items always include a deterministic pass over commitment sentences ("I will", "let's", "by Friday").
A bigger model chosen in Settings simply passes the checks more often.

Heavy libraries (torch, transformers) are imported inside `Summarizer`: `import rtstt` stays light.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import struct
import time
from collections import Counter
from collections.abc import Callable
from math import prod, sqrt
from pathlib import Path

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelNotFound, OutOfMemory, RtsttError

log = logging.getLogger(__name__)

SUMMARY_TOKENS = 96  # new tokens per summary: 2-4 sentences; a bound on CPU time too (~10 tokens/s here)
ITEMS_TOKENS = 72
INPUT_TOKENS = 640  # the newest transcript that fits the prompt; SmolLM2 is trained on 8k but weak past ~1k
PREVIOUS_TOKENS = 200
MAX_SUMMARY_SENTENCES = 5
MAX_ITEMS = 10
SYSTEM = "You summarize meetings. Write short, factual sentences."
ITEMS_SYSTEM = "You extract action items from meetings."

# -- plain text ------------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?…]+[.!?…]+[\"')\]]*|[^.!?…]+$")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_STOP_WORDS = """
    a about after again all also am an and any are as at be because been before being both but by can could
    did do does doing done for from get got had has have having he her here hers him his how i i'm i'll if in
    into is it it's its just let's like me more most my no not now of off on once one only or other our out over
    own really same she should so some such than that that's the their them then there these they this those
    through to too under until up us very was we we'll were what when where which while who whom why will with
    would yes yeah you your okay ok well sure good great thanks thank maybe think know going go make makes"""
_STOP = frozenset(_STOP_WORDS.split())
_LABEL = re.compile(
    r"^\s*(?:here\s+is\s+|here's\s+)?(?:an?\s+|the\s+)?(?:updated\s+|new\s+|final\s+|short\s+)?"
    r"(?:summary(?:\s+of\s+(?:the|this)\s+meeting)?(?:\s+so\s+far)?|meeting\s+(?:transcript|summary)|transcript|"
    r"answer|response|action\s+items?|tasks?)\s*:\s*",
    re.IGNORECASE,
)
_ECHO_HEADERS = re.compile(
    r"^\s*(?:summary\s+of\s+the\s+meeting\s+so\s+far|the\s+meeting\s+continued|meeting\s+transcript|"
    r"summary\s+so\s+far)\b\s*:",
    re.IGNORECASE,
)
_PREAMBLE = re.compile(
    r"^\s*(?:here(?:'s|\s+is|\s+are)|below\s+is|sure|certainly|of\s+course)\b[^:\n]{0,120}:\s*", re.IGNORECASE
)
_GREETING = re.compile(r"^\s*(?:good\s+(?:morning|afternoon|evening)|hello|hi)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
_JUNK = re.compile(r"\b(?:as an ai|i'm sorry|i cannot|i can't help|language model)\b", re.IGNORECASE)

_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today|eod|noon)"
_CUE = re.compile(
    r"\b(?:"
    r"i(?:'ll|\s+will|\s+shall|\s+can\s+(?:take|do|handle|send|look|check|help|own|lead|write|prepare|fix|review)|"
    r"\s+am\s+going\s+to|'m\s+going\s+to|\s+would\s+like|\s+need\s+to|\s+have\s+to|\s+should|\s+must)"
    r"|we(?:'ll|\s+will|\s+need\s+to|\s+have\s+to|\s+should|\s+must|\s+are\s+going\s+to|'re\s+going\s+to)"
    r"|let's|let\s+us|next\s+steps?|action\s+items?|follow[\s-]up|to-?do"
    r"|take\s+(?:the\s+)?lead|take\s+care\s+of|in\s+charge\s+of|(?:is|are)\s+responsible"
    r"|[^\W_]+\s+(?:can|could|will|'ll)\s+(?:join|take|help|do|handle|look\s+into|check|send|write|prepare|fix|"
    r"review|own|lead|follow|set\s+up|schedule|share|update|test)"
    rf"|(?:by|before|until|no\s+later\s+than)\s+(?:the\s+end\s+of|end\s+of|next|this|{_DAY})"
    r"|deadline|due\s+(?:on|by)"
    r")\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(r"\b(?:will|'ll|going\s+to|need|needs|should|must|can|could|let's|plan|next|by)\b", re.I)
_CLOSING = re.compile(r"^\s*(?:thank(?:s| you)|see you|bye|goodbye|talk soon)\b", re.IGNORECASE)
_FILLER = re.compile(
    r"^(?:okay|ok|so|well|great|good|sure|yes|yeah|right|alright|all right|and|but|then|also|now|maybe|"
    r"i think|i guess)\b[,\s]+",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(" ".join(text.split())) if s.strip()]


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Words that carry the topic: no stop words, nothing shorter than three letters."""
    return [w for w in words(text) if len(w) >= 3 and w not in _STOP and not w.isdigit()]


def keep_newest(text: str, budget: int, count: Callable[[str], int]) -> str:
    """The newest part of `text` that fits `budget` tokens, cut at a sentence start where possible.

    Rolling updates care about what was said last; the older part is already in the previous summary.
    """
    if budget <= 0 or not text.strip():
        return ""
    if count(text) <= budget:
        return text.strip()
    kept: list[str] = []
    used = 0
    for sentence in reversed(split_sentences(text)):
        cost = count(sentence) + 1
        if used + cost > budget:
            if not kept:  # one sentence longer than the budget: keep its last words
                tail = sentence.split()
                lo, hi = 0, len(tail)
                while lo < hi:  # fewest words dropped from the front so that the rest fits
                    mid = (lo + hi) // 2
                    if count(" ".join(tail[mid:])) <= budget:
                        hi = mid
                    else:
                        lo = mid + 1
                kept.append(" ".join(tail[lo:]))
            break
        kept.append(sentence)
        used += cost
    return " ".join(reversed(kept)).strip()


def _norm(text: str) -> str:
    return " ".join(words(text))


def _cut_word_loop(text: str, max_n: int = 8) -> str:
    """Cut a phrase that repeats three times in a row ("the team the team the team") after its first time."""
    tokens = text.split()
    for i in range(len(tokens)):
        for n in range(1, max_n + 1):
            if i + 3 * n > len(tokens):
                break
            a, b, c = (_norm(" ".join(tokens[i + k * n : i + (k + 1) * n])) for k in range(3))
            if a and a == b == c:
                return " ".join(tokens[: i + n])
    return text


def _same_sentence(a: str, b: str) -> bool:
    """Nearly all of `a`'s topic words already said in `b`: the model saying the same thing again."""
    wa = set(content_words(a))
    return len(wa) >= 3 and len(wa & set(content_words(b))) >= 0.7 * len(wa)


def clean_output(text: str, echo: tuple[str, ...] = ()) -> str:
    """Turn a small model's raw answer into plain sentences.

    Drops a preamble ("Here's the summary:"), labels ("Summary:"), greetings and thanks, lines that
    repeat the prompt's headers or its instruction (`echo`), markdown, loops (a sentence said again means
    the model is going round: stop there; one that only rephrases an earlier one is dropped; a phrase
    repeated three times in a row is cut), and an unfinished last sentence (max_new_tokens ran out).
    """
    echoed = {_norm(e) for e in echo if e.strip()}
    text = _PREAMBLE.sub("", text.strip(), count=1)
    lines: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        line = raw.replace("**", "").replace("__", "").replace("#", "").strip()
        line = _BULLET.sub("", line)
        header = _ECHO_HEADERS.match(line)
        if header:
            if lines:  # the model starts writing the prompt again: it is looping
                break
            line = line[header.end() :].strip()
        line = _LABEL.sub("", line).strip()
        if not line or _norm(line) in echoed:
            continue
        lines.append(line)
    sentences: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(" ".join(lines)):
        key = _norm(sentence)
        if not key:
            continue
        if key in seen or key in echoed:
            break
        if any(_same_sentence(sentence, kept) for kept in sentences):
            continue
        seen.add(key)
        if _GREETING.match(sentence) or _CLOSING.match(sentence):  # "Good morning everyone" is not a point
            continue
        looped = _cut_word_loop(sentence)
        sentences.append(looped)
        if looped != sentence:
            break
    out = " ".join(sentences).strip()
    if not out:
        return ""
    if not re.search(r"[.!?…][\"')\]]*$", out):
        finished = re.search(r"^.*[.!?…][\"')\]]*(?=\s)", out)
        out = finished.group(0) if finished else out + "."
    return out


def is_useful(summary: str, source: str, keep: str = "") -> bool:
    """Whether a model's summary is worth showing rather than the extractive one.

    It must say something (five words or more, not a refusal, not one word over and over), stay on the
    meeting's vocabulary (most of its topic words were said; a 135M model otherwise invents), not be the
    transcript copied back (the extractive summary picks better sentences than its first ones), and, when
    `keep` (the previous summary) is given, still carry some of it: an update must not forget the meeting.
    """
    said = words(summary)
    if len(said) < 5 or _JUNK.search(summary) or len(set(said)) < 0.4 * len(said):
        return False
    topic = set(content_words(summary))
    if not topic:
        return False
    vocabulary = set(content_words(source))
    if len(topic & vocabulary) < max(2, 0.5 * len(topic)):
        return False
    sentences = split_sentences(summary)
    copied = sum(1 for s in sentences if _norm(s) in _norm(source))
    if len(sentences) >= 2 and copied >= 0.8 * len(sentences):  # the transcript echoed back, from its start
        return False
    if keep:
        earlier = set(content_words(keep))
        if earlier and len(topic & earlier) < min(3, max(1, len(earlier) // 4)):
            return False
    return True


def extractive_summary(text: str, max_sentences: int = 3) -> str:
    """The most central sentences of `text`, in the order they were said.

    The fallback when the model's answer fails `is_useful`: it can never invent anything, and it is never
    empty while something was said. A sentence scores by how often its topic words recur in the whole
    text (what the meeting keeps talking about), normalised so long sentences do not win by length;
    questions and very short sentences score lower, greetings and goodbyes not at all.
    """
    sentences = split_sentences(text)
    said = [s for s in sentences if not (_GREETING.match(s) or _CLOSING.match(s))]
    sentences = said or sentences
    if len(sentences) <= max_sentences:
        return " ".join(sentences)
    freq = Counter(content_words(text))
    scored = []
    for i, sentence in enumerate(sentences):
        topic = set(content_words(sentence))
        score = sum(freq[w] for w in topic) / sqrt(len(topic)) if topic else 0.0
        if sentence.endswith("?"):
            score *= 0.5
        if len(sentence.split()) < 6:
            score *= 0.3
        scored.append((score, -i, sentence))
    best = sorted(scored, reverse=True)[:max_sentences]
    return " ".join(s for _score, _neg_i, s in sorted(best, key=lambda t: -t[1]))


def rolling_extract(previous: str, new_text: str) -> str:
    """The extractive update: the gist of the previous summary, then the central sentences of the new text,
    so the summary still builds on what came before instead of forgetting it."""
    parts = [extractive_summary(previous, 2), extractive_summary(new_text, 3)]
    return " ".join(p for p in parts if p)


def _tidy_item(text: str) -> str:
    item = text.strip().strip("\"'")
    while True:
        shorter = _FILLER.sub("", item)
        if shorter == item:
            break
        item = shorter
    item = item.strip(" ,;:-")
    if not item:
        return ""
    item = item[0].upper() + item[1:]
    return item if re.search(r"[.!?]$", item) else item + "."


def find_action_items(text: str) -> list[str]:
    """Sentences with a commitment cue ("I will", "I can take", "let's", "we need to", "by Friday"): the
    deterministic half of the action items, so a real one is never missed because the model missed it.

    Questions are not items, but an answer keeps its question ("Who can take the lead on the
    performance work? I can take it ...") or it would read as "I can take it".
    """
    items: list[str] = []
    sentences = split_sentences(text)
    for i, sentence in enumerate(sentences):
        if sentence.endswith("?") or _CLOSING.match(sentence) or not _CUE.search(sentence):
            continue
        item = _tidy_item(sentence)
        previous = sentences[i - 1] if i else ""
        if previous.endswith("?") and re.match(r"^\W*(?:\w+\W+){0,2}(?:i|we)\b", item, re.I):
            item = f"{_tidy_item(previous)} {item}"
        if item and all(not _same_item(item, seen) for seen in items):
            items.append(item)
    return items


def parse_items(text: str) -> list[str]:
    """Action items from a model's list answer: one per line, bullets and numbers removed, loops dropped."""
    items: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        line = _LABEL.sub("", _BULLET.sub("", raw.replace("**", "")).strip()).strip()
        if _ECHO_HEADERS.match(line) or not line or line.endswith(":"):
            continue
        item = _tidy_item(_cut_word_loop(line))
        if not 3 <= len(item.split()) <= 40 or _JUNK.search(item) or re.match(r"^(?:none|no action)", item, re.I):
            continue
        if all(not _same_item(item, seen) for seen in items):
            items.append(item)
    return items


def _same_item(a: str, b: str) -> bool:
    wa, wb = set(content_words(a)), set(content_words(b))
    if not wa or not wb:
        return _norm(a) == _norm(b)
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.6


def anchored(item: str, transcript: str) -> bool:
    """A model's action item counts only if it rests on one thing that was said, and that sentence looks
    ahead (a plan, a promise, a deadline) rather than reporting what is done: small models list "the
    login problem is fixed" as a task, or invent work nobody mentioned."""
    topic = set(content_words(item))
    if not topic:
        return False
    for sentence in split_sentences(transcript):
        overlap = len(topic & set(content_words(sentence)))
        if overlap >= max(1, 0.5 * len(topic)) and (_CUE.search(sentence) or _FUTURE.search(sentence)):
            return True
    return False


def merge_items(found: list[str], proposed: list[str], transcript: str, limit: int = MAX_ITEMS) -> list[str]:
    """The commitment sentences first (the meeting's own words, in order), then the model's items that
    are anchored in the transcript and not already listed."""
    items = list(found)
    for item in proposed:
        if anchored(item, transcript) and all(not _same_item(item, seen) for seen in items):
            items.append(item)
    return items[:limit]


# -- the model -------------------------------------------------------------------------------------------


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
            if device != "cuda" or not _is_cuda_oom(exc):
                raise
            self._fall_back_to_cpu("the GPU ran out of memory while loading the summary model")

    def _load_gguf(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder, gguf = str(self.location.path), self.location.gguf_file
        kwargs: dict[str, object] = {_dtype_kw(): torch.float32}
        try:
            from transformers import GgufConfig

            kwargs["quantization_config"] = GgufConfig(dequantize=True)  # plain weights: savable, and bnb-able
        except ImportError:  # older transformers always dequantize GGUF files
            pass
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
            self.model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, **kwargs)
        except ImportError as exc:
            raise RtsttError(f"loading {gguf} needs the gguf package ({exc})", setup_hint("summary")) from exc
        except (OSError, ValueError, KeyError) as exc:
            problem = f"cannot load the summary model {gguf}: {exc}"
            raise ModelNotFound(problem, "reinstall it, or choose another summary model") from exc
        self._ensure_chat_template()
        if self.location.cache is not None:
            self._save_copy(self.location.cache)

    def _save_copy(self, target: Path) -> None:
        """Write the dequantized model as safetensors, atomically: a temp folder, synced, renamed into place,
        so a crash or a full disk never leaves a half copy that a later start would trust."""
        from rtstt.models.nlp_models import is_llm_folder

        assert self.model is not None and self.tokenizer is not None
        tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
            self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            for file in tmp.iterdir():
                with open(file, "rb") as handle:
                    os.fsync(handle.fileno())
            if is_llm_folder(target):  # another process finished first: keep its copy
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                if target.exists():  # a broken leftover that is not a model: ours replaces it
                    shutil.rmtree(target)
                os.replace(tmp, target)
            self.path, self.source = target, "cache"
        except (OSError, ValueError) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            log.warning("could not save the summary model copy to %s: %s", target, exc)
            self.notes.append(f"could not save a fast-loading copy ({exc}); the next start is slow again")

    def _choose_device(self) -> tuple[str, str]:
        import torch

        if not torch.cuda.is_available():
            self._note_no_gpu()
            return "cpu", "none"
        if self.requested != "auto":
            return "cuda", self.requested
        from rtstt.gpu_plan import plan

        free, _total = torch.cuda.mem_get_info()
        # Whisper's weights already sit in the used part of VRAM; counting it again (at int8) errs safe.
        gpu = plan(free / 2**20, self.whisper or "tiny", "int8", llm_params_b=self.params_b(), llm_quantization="auto")
        if gpu.llm_device != "cuda":
            self.notes.extend(gpu.notes)
            return "cpu", "none"
        self.notes.extend(n for n in gpu.notes if "summary" in n)
        return "cuda", gpu.llm_quantization

    def params_b(self) -> float:
        """Parameters in billions, from the safetensors headers (exact) or the weight files' size."""
        total = 0
        for file in Path(self.path).glob("*.safetensors"):
            try:
                with open(file, "rb") as handle:
                    (size,) = struct.unpack("<Q", handle.read(8))
                    header = json.loads(handle.read(size))
                total += sum(prod(t["shape"]) for k, t in header.items() if k != "__metadata__")
            except (OSError, ValueError, KeyError, struct.error):
                total += file.stat().st_size // 2
        if not total:
            total = sum(f.stat().st_size for f in Path(self.path).glob("pytorch_model*.bin")) // 2
        return total / 1e9

    def _load_folder(self, device: str, quantization: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kwargs: dict[str, object] = {}
        if device == "cuda":
            # bf16 where the GPU has it: today's LLMs are trained in it and can overflow in fp16
            half = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            kwargs["device_map"] = {"": 0}
            kwargs[_dtype_kw()] = half  # also the unquantized parts (embeddings, norms) of an 8/4-bit model
            if quantization in ("8bit", "4bit"):
                kwargs["quantization_config"] = _bnb_config(quantization, half)
        else:
            quantization = "none"
            kwargs[_dtype_kw()] = torch.float32
        folder = str(self.path)
        try:
            if self.tokenizer is None:
                self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self.model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
        except Exception as exc:  # transformers raises OSError, ValueError, KeyError... for a wrong folder
            if device == "cuda" and _is_cuda_oom(exc):
                raise
            raise _load_error(self.name, exc) from exc
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
        self._note_no_gpu()

    def _note_no_gpu(self) -> None:
        if self.requested in ("8bit", "4bit"):
            self.notes.append(f"{self.requested} needs a CUDA GPU: the summary runs on the CPU in float32")

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
            if self.device != "cuda" or not _is_cuda_oom(exc):
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
            return _limit_sentences(answer, MAX_SUMMARY_SENTENCES)
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


def _limit_sentences(text: str, n: int) -> str:
    sentences = split_sentences(text)
    return " ".join(sentences[:n])


def _bnb_config(quantization: str, compute_dtype):
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


def _dtype_kw() -> str:
    """transformers 4.56 renamed `torch_dtype` to `dtype`; the summary extra allows older ones too."""
    import transformers
    from packaging.version import Version

    return "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"


def _is_cuda_oom(exc: BaseException) -> bool:
    """CUDA out of memory, also in the forms it takes outside PyTorch's allocator (cuBLAS, bitsandbytes)."""
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and ("out of memory" in text.lower() or "ALLOC_FAILED" in text)


def _load_error(name: str, exc: Exception) -> RtsttError:
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
