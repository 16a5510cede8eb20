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
"""Languages offered in the window (code -> name); any other code of `WHISPER_LANGUAGE_CODES` still works
in config.toml and with --language."""

WHISPER_LANGUAGE_CODES: tuple[str, ...] = (
    *("af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy", "da", "de"),
    *("el", "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw", "he", "hi", "hr", "ht"),
    *("hu", "hy", "id", "is", "it", "ja", "jw", "ka", "kk", "km", "kn", "ko", "la", "lb", "ln", "lo", "lt"),
    *("lv", "mg", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl", "nn", "no", "oc", "pa", "pl"),
    *("ps", "pt", "ro", "ru", "sa", "sd", "si", "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta"),
    *("te", "tg", "th", "tk", "tl", "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo", "zh", "yue"),
)
"""Every language a multilingual Whisper model knows, in faster-whisper's order (its
`tokenizer._LANGUAGE_CODES`, which tests/unit/test_config.py checks this against; kept here so settings
validate without importing faster-whisper). "yue" needs a large-v3 model. Settings also accept "auto"."""

COMPUTE_DEVICES = ("auto", "cpu", "cuda")
COMPUTE_TYPES = ("int8", "int8_float16", "int8_float32", "int8_bfloat16", "float16", "bfloat16", "float32")
"""CTranslate2 compute types a user may choose (besides "auto")."""

EXPORT_FORMATS = ("srt", "vtt", "txt", "json", "docx")

SOURCE_LABELS: dict[str, str] = {
    "loopback": "System audio",
    "mic": "Microphone",
    "mix": "System audio + microphone",
    "call": "Call (you + others)",
    "file": "File",
}
"""What a session listens to (kind -> the name people see): system audio, a microphone, both, a file."""

SOURCE_KINDS = tuple(SOURCE_LABELS)

MIC_TRACK = "mic"
SYSTEM_TRACK = "system"
"""The two tracks of a call (`Segment.track`): the microphone (the user) and the system audio (the others)."""
