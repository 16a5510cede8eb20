from rtstt.events import Segment
from rtstt.nlp.questions import find_questions, questions_in


def test_questions_are_split_from_their_answers():
    assert questions_in("Before we start, can we go over the action items? Sure, let's do it.") == [
        "Before we start, can we go over the action items?"
    ]
    assert questions_in("No question here.") == []


def test_find_questions_keeps_segment_and_speaker():
    segs = [
        Segment(1.0, 3.0, "Did customers say anything about the new search page?", id=4, speaker="S2"),
        Segment(3.5, 4.0, "Right?", id=5, speaker="S1"),
    ]
    (q,) = find_questions(segs)
    assert (q.segment_id, q.speaker, q.start) == (4, "S2", 1.0)
