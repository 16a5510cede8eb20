"""Plan GPU memory before loading anything: Whisper, the speaker model and the summary LLM together.

Loading first and failing with CUDA out-of-memory halfway through a meeting is the worst moment to
learn the models do not fit. The plan estimates each model's VRAM from its size and precision, then
keeps Whisper on the GPU (dropping to int8 if needed) and fits the LLM in 8-bit, 4-bit, or on the
CPU, saying why. Anchors: faster-whisper's published large-v2 figures (fp16 4.5 GB, int8 2.9 GB)
and bitsandbytes' ~1.1 bytes/parameter in 8-bit and ~0.7 in 4-bit (NF4 with fp16 embeddings), both checked
against an 8B Llama loaded on an H100 (benchmarks/gpu_check.py: 8-bit planned 9.90 GiB, measured 9.86).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CUDA_CONTEXT_MB = 400.0
WHISPER_PARAMS_M = {
    "tiny": 39, "base": 74, "small": 244, "medium": 769, "large": 1550, "turbo": 809, "distil": 756,
}  # fmt: skip
WHISPER_BYTES = {"float16": 2.0, "bfloat16": 2.0, "float32": 4.0, "int8_float16": 1.0, "int8": 1.0}
LLM_BYTES = {"none": 2.0, "8bit": 1.1, "4bit": 0.7}  # 4-bit: NF4 + fp16 embeddings, measured 0.70 (8B)
SPEAKER_MB = {"pyannote": 350.0, "ge2e": 60.0, "": 0.0}


def whisper_params_m(name: str) -> int:
    key = name.lower()
    for prefix in ("distil", "turbo", "large", "medium", "small", "base", "tiny"):
        if prefix in key:
            return WHISPER_PARAMS_M[prefix]
    return WHISPER_PARAMS_M["small"]


def whisper_mb(name: str, compute_type: str) -> float:
    params = whisper_params_m(name)
    weights = params * WHISPER_BYTES.get(compute_type, 2.0)
    return weights + 1200.0 * max(0.2, params / 1550)  # encoder activations and decoder cache, beam 5


def llm_mb(params_b: float, quantization: str, context_tokens: int = 4096) -> float:
    weights = params_b * 1000 * LLM_BYTES[quantization]
    kv_cache = 0.125 * params_b * 1000 * context_tokens / 4096  # ~128 kB/token for an 8B GQA model
    return weights + kv_cache + 300.0


@dataclass
class GpuPlan:
    whisper_compute: str
    llm_device: str  # "cuda" | "cpu" | "off"
    llm_quantization: str  # "none" | "8bit" | "4bit"
    budget_mb: float
    total_mb: float
    parts_mb: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return self.total_mb <= self.budget_mb


def plan(
    vram_mb: float,
    whisper: str,
    whisper_compute: str = "float16",
    llm_params_b: float = 0.0,
    llm_quantization: str = "auto",
    speakers: str = "",
    reserve_mb: float = 512.0,
) -> GpuPlan:
    """Decide precisions and devices so everything fits, keeping `reserve_mb` free for fragmentation."""
    budget = vram_mb - reserve_mb - CUDA_CONTEXT_MB
    spk = SPEAKER_MB.get(speakers, 0.0)
    notes: list[str] = []
    compute = whisper_compute
    w = whisper_mb(whisper, compute)
    if w + spk > budget and compute in ("float16", "bfloat16", "float32"):
        compute = "int8_float16"
        w = whisper_mb(whisper, compute)
        notes.append(f"Whisper {whisper} in int8 to fit {vram_mb / 1024:.0f} GB")
    parts = {"whisper": w, "speakers": spk}
    device, quant = "off", "none"
    if llm_params_b > 0:
        options = ["8bit", "4bit"] if llm_quantization == "auto" else [llm_quantization]
        # fp16 LLMs rarely fit beside Whisper; 8-bit loses little quality. If neither fits, Whisper in int8
        # (a small accuracy cost) beats an 8B model on the CPU (minutes per summary).
        computes = [compute]
        if compute in ("float16", "bfloat16", "float32"):
            computes.append("int8_float16")
        for whisper_compute in computes:
            w_try = whisper_mb(whisper, whisper_compute)
            free = budget - w_try - spk
            fitting = [q for q in options if llm_mb(llm_params_b, q) <= free]
            if fitting:
                device, quant = "cuda", fitting[0]
                parts["llm"] = llm_mb(llm_params_b, quant)
                if whisper_compute != compute:
                    compute, parts["whisper"] = whisper_compute, w_try
                    notes.append(f"Whisper {whisper} in int8 so the summary model fits on the GPU")
                break
        else:
            device, quant = "cpu", "none"
            notes.append(
                f"the {llm_params_b:g}B summary model does not fit beside Whisper in {vram_mb / 1024:.0f} GB: "
                "it runs on the CPU (slower summaries; the transcript is unaffected)"
            )
        if device == "cuda" and quant != options[0]:
            notes.append(f"the summary model loads in {quant} to fit")
    total = sum(parts.values())
    return GpuPlan(compute, device, quant, round(budget, 1), round(total, 1), parts, notes)
