"""The engine's shared vocabulary: the few constants every room agrees on, defined once.

Before this module the sample rate was written in six places and the language list in two (with
different lengths), so a change in one drifted from the others. Import from here instead.
"""

from __future__ import annotations

SAMPLE_RATE = 16_000
"""Everything after capture is 16 kHz mono float32: what Silero VAD and Whisper expect."""

LANGUAGES: dict[str, str] = {
    "auto": "detect automatically",
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "tr": "Turkish",
    "sv": "Swedish",
    "ar": "Arabic",
    "hi": "Hindi",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
}
"""Languages offered in the window (code -> name); any other Whisper code still works in config.toml."""

COMPUTE_DEVICES = ("auto", "cpu", "cuda")
COMPUTE_TYPES = ("int8", "int8_float16", "int8_float32", "int8_bfloat16", "float16", "bfloat16", "float32")
"""CTranslate2 compute types a user may choose (besides "auto")."""

EXPORT_FORMATS = ("srt", "vtt", "txt", "json", "docx")

SOURCE_LABELS: dict[str, str] = {
    "loopback": "System audio",
    "mic": "Microphone",
    "mix": "System audio + microphone",
    "file": "File",
}
"""What a session listens to (kind -> the name people see): system audio, a microphone, both, a file."""

SOURCE_KINDS = tuple(SOURCE_LABELS)
