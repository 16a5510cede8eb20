from rtstt.vad import CHUNK, VadEventKind, VadStateMachine


def feed(sm: VadStateMachine, probs: list[float]) -> list[tuple[str, int]]:
    events = []
    for i, p in enumerate(probs, start=1):
        e = sm.update(p, i * CHUNK)
        if e:
            events.append((e.kind, e.sample))
    return events


def test_speech_opens_after_min_speech_and_closes_after_the_silence_hangover():
    sm = VadStateMachine(threshold=0.5, min_silence_ms=256, speech_pad_ms=0, min_speech_ms=64)
    probs = [0.1] * 5 + [0.9] * 10 + [0.1] * 10
    events = feed(sm, probs)
    assert events[0] == ("start", 5 * CHUNK)
    # speech last seen at chunk 15; 256 ms = 8 chunks of silence later it closes
    assert events[1] == ("end", 15 * CHUNK)
    assert len(events) == 2


def test_short_dips_inside_speech_do_not_split_the_utterance():
    sm = VadStateMachine(threshold=0.5, min_silence_ms=300, speech_pad_ms=0)
    probs = [0.9] * 10 + [0.1] * 4 + [0.9] * 10 + [0.1] * 20
    kinds = [k for k, _ in feed(sm, probs)]
    assert kinds == ["start", "end"]


def test_hysteresis_keeps_speech_open_between_the_two_thresholds():
    sm = VadStateMachine(threshold=0.5, neg_threshold=0.3, min_silence_ms=100, speech_pad_ms=0)
    kinds = [k for k, _ in feed(sm, [0.9] * 4 + [0.4] * 30)]
    assert kinds == ["start"]


def test_padding_reaches_back_but_never_before_the_previous_end():
    sm = VadStateMachine(threshold=0.5, min_silence_ms=64, speech_pad_ms=200)
    events = feed(sm, [0.9] * 4 + [0.1] * 4 + [0.9] * 4 + [0.1] * 10)
    starts = [s for k, s in events if k == "start"]
    ends = [s for k, s in events if k == "end"]
    assert starts[0] == 0
    assert starts[1] >= ends[0]


def test_noise_spikes_shorter_than_min_speech_are_ignored():
    sm = VadStateMachine(threshold=0.5, min_speech_ms=96)
    assert feed(sm, [0.1, 0.9, 0.1, 0.9, 0.9, 0.1] * 5) == []


def test_flush_closes_an_open_utterance_at_the_stream_end():
    sm = VadStateMachine(speech_pad_ms=0)
    feed(sm, [0.9] * 5)
    event = sm.flush(10 * CHUNK)
    assert event is not None and event.kind == "end" and event.sample == 5 * CHUNK
    assert sm.flush(10 * CHUNK) is None


def test_event_kinds_still_compare_equal_to_the_plain_strings():
    sm = VadStateMachine(speech_pad_ms=0)
    events = feed(sm, [0.9] * 5 + [0.1] * 20)
    assert [k for k, _ in events] == [VadEventKind.SPEECH_START, VadEventKind.SPEECH_END] == ["start", "end"]
