"""Key-phrase candidates: noun phrases only, no filler or bare verbs, variants merged (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from rtstt.nlp.keywords import _mmr, candidates
from rtstt.nlp.phrases import lemma, noun_phrases, tag
from tests.conftest import fixture_meta

FILLER_AND_VERBS = {"went", "weekly", "new", "sure", "okay", "thank", "thanks", "planned", "took", "upload"}


@pytest.fixture(scope="module")
def meeting() -> list[str]:
    return candidates(fixture_meta("conversation")["text"])


def test_meeting_candidates_are_its_topics(meeting: list[str]):
    for phrase in ("database", "search page", "performance work", "mobile phones", "older devices"):
        assert phrase in meeting, meeting
    assert len({"release", "new release"} & set(meeting)) == 1, meeting  # one phrase for both mentions


def test_meeting_candidates_have_no_filler_or_bare_verbs(meeting: list[str]):
    assert not FILLER_AND_VERBS & set(meeting), meeting
    generic = {"week", "morning", "afternoon", "hours", "days", "end", "month", "step", "version", "sense"}
    assert not generic & set(meeting), meeting
    assert all(1 <= len(p.split()) <= 3 for p in meeting)
    assert all(not p.split()[-1].endswith(("ly", "ed")) for p in meeting)


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # "release" / "new release", "the database" / "production database": one phrase each
        (
            "We shipped the release. The beta release is late, and the beta release notes too.",
            "beta release",
            "release",
        ),
        ("The database is slow. We moved the production database on Monday.", "production database", "database"),
        # plural and singular
        ("The tests failed. One test is flaky, and more tests are coming.", "tests", "test"),
    ],
)
def test_variants_are_merged(text: str, expected: str, absent: str):
    found = candidates(text)
    assert expected in found and absent not in found, found


def test_merged_variants_keep_the_most_frequent_form():
    (merged,) = noun_phrases("The tests failed. The tests passed. One integration test hung.")
    assert merged.count == 3 and merged.text == "tests"
    (merged,) = noun_phrases("The new release is out. Once the release is stable, the nightly release is next.")
    assert merged.text == "release"


def test_a_head_shared_by_several_phrases_stays_a_topic():
    found = candidates("The search page and the login page are slow; every page needs work.")
    assert {"search page", "login page", "page"} <= set(found), found


@pytest.mark.parametrize(
    ("text", "word", "pos"),
    [
        ("We need to plan the release.", "plan", "VERB"),
        ("The plan is good.", "plan", "NOUN"),
        ("Let's check again on Friday.", "check", "VERB"),
        ("Can you also check the logs?", "check", "VERB"),
        ("I need some help with testing on older devices.", "testing", "NOUN"),
        ("Thanks for joining the call.", "joining", "VERB"),
        ("It's kind of working now.", "working", "VERB"),
        ("The planned release moved.", "planned", "ADJ"),
        ("It took longer than we planned.", "planned", "VERB"),
        ("The new release went out.", "went", "VERB"),
        ("We talked to Sarah yesterday.", "sarah", "NOUN"),
        ("It is really slow.", "really", "FUNC"),
        ("The upload service needs better messages.", "needs", "VERB"),
        ("Every page needs work.", "needs", "VERB"),
        ("The integration tests especially are flaky.", "tests", "NOUN"),
    ],
)
def test_tagger_on_meeting_speech(text: str, word: str, pos: str):
    tags = {t.text: t.tag for t in tag(text)}
    assert tags[word] == pos, tags


def test_lemma():
    assert [lemma(w) for w in ("tests", "copies", "boxes", "status", "analysis", "people")] == [
        "test",
        "copy",
        "box",
        "status",
        "analysis",
        "person",
    ]


def test_no_candidates_in_filler():
    assert candidates("Yeah okay, sure, thanks, thank you so much, see you next week.") == []


def test_mmr_skips_near_duplicates():
    doc = np.array([1.0, 0.0])
    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]])
    lemmas = [frozenset({"performance", "work"}), frozenset({"performance"}), frozenset({"database"})]
    picked = [i for i, _ in _mmr(doc, vectors, lemmas, 3, 0.4)]
    assert picked == [0, 2]
