import pytest

from rtstt.wer import normalize_text, number_to_words, wer_details, word_error_rate


def test_normalisation_makes_written_and_spoken_forms_equal():
    assert normalize_text("It's 15% faster, on the 3rd try!") == normalize_text(
        "its fifteen percent faster on the third try"
    )
    assert normalize_text("Real-time, OK?") == "real time okay"
    assert number_to_words(2024) == "two thousand twenty four"


def test_counts_substitutions_deletions_and_insertions():
    res = wer_details("the cat sat on the mat", "the cat sat on a mat today")
    assert (res.substitutions, res.deletions, res.insertions) == (1, 0, 1)
    assert res.wer == pytest.approx(2 / 6)


def test_identical_and_empty():
    assert word_error_rate("Hello there.", "hello there") == 0.0
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0
    assert word_error_rate("two words", "") == 1.0
