"""The CUDA paths of the summary LLM and the GPU memory planner, measured on a real NVIDIA GPU.

What it checks (each a real load on the GPU, no mocks):
1. `Summarizer` loads a Llama-architecture instruct model on CUDA in 8-bit and 4-bit (bitsandbytes) and
   in fp16, and "auto" asks the planner; each writes a summary. The weights are random (no model hub is
   reachable from the GPU machine), so the text is nonsense and the summarizer's own guard falls back to
   its extractive summary: what is measured is the plumbing, memory and speed, not the prose.
2. A CUDA out-of-memory while loading falls back to the CPU with a note instead of crashing.
3. The planner's estimate for an 8B instruct model (Llama-3-8B shape) in 8-bit and 4-bit next to the
   memory the model really takes once loaded and after a 4k-token prefill plus generation.

    python benchmarks/gpu_check.py --tokenizer DIR [--out results.json] [--skip-8b]

`--tokenizer` is a folder with SmolLM2's tokenizer files (chat template included).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))

from rtstt import gpu_plan  # noqa: E402

MEETING = json.loads((REPO / "tests" / "fixtures" / "conversation.json").read_text())["text"]
SMALL = {
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
}  # fmt: skip  SmolLM2-135M
LLAMA_8B = {
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
}  # fmt: skip  Llama-3-8B


def random_model(shape: dict, tokenizer: Path, out: Path) -> float:
    """Save a random-weight Llama of `shape` in bf16 with the given tokenizer; returns parameters (B)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**shape, max_position_embeddings=8192)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config)
    torch.set_default_dtype(torch.float32)
    params = sum(p.numel() for p in model.parameters()) / 1e9
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tokenizer).save_pretrained(out)
    del model
    torch.cuda.empty_cache()
    return params


def gib(n_bytes: float) -> float:
    return round(n_bytes / 2**30, 3)


def load_and_summarize(folder: Path, quantization: str, prefill_tokens: int = 0) -> dict:
    import torch

    from rtstt.nlp.summary import Summarizer

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    t0 = time.perf_counter()
    summarizer = Summarizer(str(folder), quantization, whisper="large-v3")
    load_s = time.perf_counter() - t0
    loaded = torch.cuda.memory_allocated() - base
    footprint = summarizer.model.get_memory_footprint() if summarizer.model is not None else 0
    t0 = time.perf_counter()
    summary = summarizer.update("", MEETING[:900])
    update_s = time.perf_counter() - t0
    result = {
        "requested": quantization,
        "device": summarizer.device,
        "quantization": summarizer.quantization,
        "notes": summarizer.notes,
        "load_s": round(load_s, 2),
        "update_s": round(update_s, 2),
        "loaded_gib": gib(loaded),
        "footprint_gib": gib(footprint),
        "summary_chars": len(summary),
    }
    if prefill_tokens and summarizer.device == "cuda":
        ids = torch.randint(0, 49152, (1, prefill_tokens), device="cuda")
        t0 = time.perf_counter()
        with torch.inference_mode():
            summarizer.model.generate(ids, max_new_tokens=128, do_sample=False, min_new_tokens=128)
        torch.cuda.synchronize()
        result["prefill_tokens"] = prefill_tokens
        result["prefill_generate_s"] = round(time.perf_counter() - t0, 2)
    result["peak_gib"] = gib(torch.cuda.max_memory_allocated() - base)
    del summarizer
    torch.cuda.empty_cache()
    return result


def oom_fallback(folder: Path) -> dict:
    """Let the allocator have 0.1% of the card: loading in fp16 must fall back to the CPU, not crash."""
    import torch

    from rtstt.nlp.summary import Summarizer

    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(0.001)
    try:
        summarizer = Summarizer(str(folder), "none")
        ok = summarizer.device == "cpu" and any("out of memory" in n for n in summarizer.notes)
        return {"device": summarizer.device, "notes": summarizer.notes, "fell_back": ok}
    except Exception as exc:  # the point is to report whatever escaped
        return {"fell_back": False, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokenizer", type=Path, required=True)
    p.add_argument("--work", type=Path, default=Path("/tmp/rtstt-gpu-check"))
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "gpu_check.json")
    p.add_argument("--skip-8b", action="store_true")
    args = p.parse_args()
    import torch

    props = torch.cuda.get_device_properties(0)
    report: dict = {
        "benchmark": "gpu_check",
        "gpu": props.name,
        "vram_gib": gib(props.total_memory),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
    try:
        import bitsandbytes

        report["bitsandbytes"] = bitsandbytes.__version__
    except ImportError:
        report["bitsandbytes"] = None
    args.work.mkdir(parents=True, exist_ok=True)
    small = args.work / "small"
    report["small_params_b"] = round(random_model(SMALL, args.tokenizer, small), 3)
    report["small"] = [load_and_summarize(small, q) for q in ("8bit", "4bit", "none", "auto")]
    print(json.dumps(report, indent=2), flush=True)
    report["oom_fallback"] = oom_fallback(small)
    print(json.dumps(report["oom_fallback"], indent=2), flush=True)
    if not args.skip_8b:
        big = args.work / "llama8b"
        t0 = time.perf_counter()
        params = random_model(LLAMA_8B, args.tokenizer, big)
        report["8b"] = {"params_b": round(params, 3), "saved_s": round(time.perf_counter() - t0, 1), "runs": []}
        for quantization in ("8bit", "4bit"):
            run = load_and_summarize(big, quantization, prefill_tokens=4096)
            run["planner_estimate_gib"] = round(gpu_plan.llm_mb(params, quantization) / 1024, 3)
            report["8b"]["runs"].append(run)
            print(json.dumps(run, indent=2), flush=True)
        shutil.rmtree(big, ignore_errors=True)
        whisper = gpu_plan.whisper_mb("large-v3", "float16") / 1024
        eight = next(r for r in report["8b"]["runs"] if r["quantization"] == "8bit")
        measured_total = whisper + eight["peak_gib"] + gpu_plan.SPEAKER_MB["pyannote"] / 1024
        report["target_16gb"] = {
            "whisper_large_v3_fp16_estimate_gib": round(whisper, 3),
            "llm_8b_8bit_measured_peak_gib": eight["peak_gib"],
            "speakers_pyannote_estimate_gib": round(gpu_plan.SPEAKER_MB["pyannote"] / 1024, 3),
            "cuda_context_gib": round(gpu_plan.CUDA_CONTEXT_MB / 1024, 3),
            "total_gib": round(measured_total + gpu_plan.CUDA_CONTEXT_MB / 1024, 3),
        }
        report["target_16gb"]["fits_16gb"] = report["target_16gb"]["total_gib"] < 16.0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
