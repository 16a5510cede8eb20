"""Which language each pass decodes in with language "auto", driven by a scripted detector."""

from __future__ import annotations

from rtstt.stt.language import LanguagePolicy

SR = 16000


class Detector:
    """Answers with the scripted (language, probability) pairs in order and counts the calls."""

    def __init__(self, *answers: tuple[str, float]) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self) -> tuple[str, float]:
        self.calls += 1
        return self.answers.pop(0)


def s(seconds: float) -> int:
    return int(seconds * SR)


def utterance(policy: LanguagePolicy, seconds: float, detector: Detector, heard: bool = True) -> str:
    policy.new_utterance()
    lang = policy.choose(s(seconds), detector)
    if heard:
        policy.heard()
    return lang


def test_a_locked_language_is_never_detected():
    policy = LanguagePolicy("de")
    detector = Detector()
    for seconds in (0.5, 1.0, 3.0, 10.0):
        policy.new_utterance()
        assert policy.choose(s(seconds), detector) == "de"
        policy.heard()
        assert not policy.switched
    assert detector.calls == 0
    assert policy.language == "de"


def test_each_utterance_is_detected_afresh_and_a_switch_is_followed():
    policy = LanguagePolicy(None)
    detector = Detector(("en", 0.97), ("de", 0.9), ("de", 0.95))
    assert utterance(policy, 3.0, detector) == "en"
    assert not policy.switched  # nothing came before
    assert utterance(policy, 2.5, detector) == "de"
    assert policy.switched  # the English prompt must not be fed to this German utterance
    assert utterance(policy, 4.0, detector) == "de"
    assert not policy.switched
    assert detector.calls == 3


def test_short_utterances_reuse_the_last_confident_language():
    policy = LanguagePolicy(None)
    detector = Detector(("de", 0.9))
    assert utterance(policy, 2.0, detector) == "de"
    assert utterance(policy, 0.6, detector) == "de"  # "Ja." is not detected: it would flip
    assert detector.calls == 1
    assert not policy.switched


def test_the_first_short_pass_of_an_utterance_uses_the_prior_and_the_first_long_one_detects():
    policy = LanguagePolicy(None)
    detector = Detector(("en", 0.95), ("de", 0.92))
    utterance(policy, 2.0, detector)
    policy.new_utterance()
    assert policy.choose(s(0.5), detector) == "en"  # realtime: the first partial comes at 0.4-0.5 s
    assert detector.calls == 1
    assert policy.choose(s(1.2), detector) == "de"
    assert policy.choose(s(1.5), detector) == "de"  # sure: no more detection in this utterance
    assert policy.choose(s(6.0), detector) == "de"
    assert detector.calls == 2


def test_an_unsure_detection_is_repeated_as_the_audio_grows_and_not_trusted_as_prior():
    policy = LanguagePolicy(None)
    detector = Detector(("en", 0.97), ("nl", 0.8), ("de", 0.6), ("de", 0.95))
    utterance(policy, 3.0, detector)
    policy.new_utterance()
    assert policy.choose(s(1.0), detector) == "nl"  # 1 s of speech is wrong one time in eight, even at 0.8
    policy.heard()
    assert policy.prior == "en"  # an unsure answer on short audio does not replace the prior
    assert policy.choose(s(1.5), detector) == "nl"  # the audio has not grown enough yet
    assert policy.choose(s(2.0), detector) == "de"
    policy.heard()
    assert policy.prior == "de"  # 2 s of audio are enough to trust
    assert policy.choose(s(3.0), detector) == "de"
    assert policy.choose(s(5.0), detector) == "de"  # sure now: no more detection
    assert detector.calls == 4


def test_the_first_words_of_a_session_are_guessed_when_short_but_not_trusted():
    policy = LanguagePolicy(None)
    detector = Detector(("cy", 0.3), ("en", 0.9))
    assert utterance(policy, 0.6, detector) == "cy"  # no prior yet: a guess beats nothing
    assert policy.prior is None
    policy.new_utterance()
    assert policy.choose(s(1.5), detector) == "en"
    assert detector.calls == 2


def test_an_utterance_that_heard_nothing_does_not_count_as_the_previous_language():
    policy = LanguagePolicy(None)
    detector = Detector(("en", 0.95), ("fr", 0.6), ("en", 0.9))
    utterance(policy, 2.0, detector)
    utterance(policy, 2.0, detector, heard=False)  # noise: the guards rejected the text
    assert utterance(policy, 2.0, detector) == "en"
    assert not policy.switched


def test_only_an_utterance_that_switched_language_loses_its_prompt():
    policy = LanguagePolicy(None)
    detector = Detector(("en", 0.95), ("de", 0.9), ("de", 0.9))
    english = "the above copyright notice and this permission notice shall be included in all copies."
    utterance(policy, 3.0, detector)
    assert policy.prompt_for(english) == english  # same language: context helps
    utterance(policy, 3.0, detector)
    assert policy.switched
    assert policy.prompt_for(english) == ""  # English text would pull the German decoder back into English
    german = "Hiermit wird unentgeltlich jeder Person die Erlaubnis erteilt."
    utterance(policy, 3.0, detector)
    assert not policy.switched
    assert policy.prompt_for(german) == german


def test_a_locked_language_keeps_its_prompt():
    policy = LanguagePolicy("en")
    policy.new_utterance()
    policy.choose(s(2.0), Detector())
    assert policy.prompt_for("earlier text") == "earlier text"


def test_the_streaming_policy_tells_the_backend_about_each_new_utterance():
    """StreamingTranscriber calls `backend.new_utterance()` once per utterance, before its first pass."""
    import numpy as np

    from rtstt.stt.streaming import StreamingTranscriber
    from rtstt.stt.whisper import Hypothesis
    from rtstt.vad import VadEvent, VadEventKind

    log: list[str] = []

    class Backend:
        def new_utterance(self) -> None:
            log.append("new")

        def transcribe(self, audio, *, prompt="", prefix="", words=True, beam_size=0) -> Hypothesis:
            log.append("pass")
            return Hypothesis()

    policy = StreamingTranscriber(Backend(), now=lambda: 0.0, realtime=False)
    for start in (0, 3 * SR):
        policy.add_audio(np.zeros(SR, dtype=np.float32))
        policy.on_vad(VadEvent(VadEventKind.SPEECH_START, start))
        policy.on_vad(VadEvent(VadEventKind.SPEECH_START, start + SR // 2))  # the VAD reopening: same utterance
        policy.add_audio(np.zeros(2 * SR, dtype=np.float32))
        policy.on_vad(VadEvent(VadEventKind.SPEECH_END, start + 3 * SR))
    assert log == ["new", "pass", "new", "pass"]
