"""The summary's plain-text parts: cleaning a small model's answer, the extractive fallback, action-item
cues, and the prompt budget. No model here: these decide what the user sees when the model is weak."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import docx

from rtstt.events import Segment
from rtstt.nlp.action_items import anchored, find_action_items, merge_items, parse_items
from rtstt.nlp.sentences import split_sentences
from rtstt.nlp.summary_text import clean_output, extractive_summary, is_useful, keep_newest, rolling_extract
from rtstt.session.export import render
from rtstt.session.insights import Insights
from rtstt.session.transcript import Transcript
from tests.conftest import fixture_meta

MEETING = fixture_meta("conversation")["text"]


def n_words(text: str) -> int:
    return len(text.split())


# -- cleaning the model's answer ----------------------------------------------------------------------------


def test_clean_output_drops_preamble_labels_and_markdown():
    raw = "Here's a rewritten version of the summary:\n**Summary:** The team fixed the login. The release shipped."
    assert clean_output(raw) == "The team fixed the login. The release shipped."


def test_clean_output_drops_prompt_echo():
    instruction = "Summarize this meeting in 2 to 3 sentences."
    raw = f"Meeting transcript: The database move took longer than planned.\n{instruction}\n"
    assert clean_output(raw, echo=(instruction,)) == "The database move took longer than planned."
    looping = "The app must load faster.\n\nThe meeting continued: Sarah helps with testing. And more"
    assert clean_output(looping) == "The app must load faster."  # writing the prompt again: a loop


def test_clean_output_stops_repetition_loops():
    raw = "Sarah joins the testing. Check the performance work. Check the performance work. Check the"
    assert clean_output(raw) == "Sarah joins the testing. Check the performance work."
    stutter = "The team will test on older devices devices devices devices devices"
    assert clean_output(stutter) == "The team will test on older devices."
    again = (
        "Sarah is joining the team for a few days next week. The app gets faster. "
        "The meeting continues, and Sarah will be joining the team for a few days next week."
    )
    assert clean_output(again) == "Sarah is joining the team for a few days next week. The app gets faster."


def test_clean_output_cuts_an_unfinished_last_sentence():
    assert clean_output("The login is fixed. The next step is to make the") == "The login is fixed."
    assert clean_output("The login is fixed") == "The login is fixed."  # nothing finished: keep it whole
    assert clean_output("   \n  ") == ""


def test_clean_output_drops_greetings():
    raw = "Good morning everyone, and thanks for joining. The release went out on Tuesday. Thank you, everyone."
    assert clean_output(raw) == "The release went out on Tuesday."


def test_is_useful_rejects_garbage_and_invention():
    source = "The login problem is fixed and the new release went out on Tuesday. The database move took longer."
    assert is_useful("The login problem is fixed and the release went out on Tuesday.", source)
    assert not is_useful("", source)
    assert not is_useful("Summary.", source)
    assert not is_useful("the the the the the the the the", source)
    assert not is_useful("Quarterly revenue targets rose sharply across European retail markets.", source)
    assert not is_useful("As an AI language model I cannot summarize this meeting for you.", source)
    copied = "The login problem is fixed and the new release went out on Tuesday. The database move took longer."
    assert not is_useful(copied, source)  # the transcript echoed back is not a summary


def test_is_useful_demands_that_an_update_keeps_the_earlier_summary():
    earlier = "The login problem is fixed. The new release went out on Tuesday. Customers liked the search page."
    new = "The next step is to make the app load faster on mobile phones, with a first version by the month's end."
    forgetful = "The next step is to make the app load faster on mobile phones."
    assert not is_useful(forgetful, f"{earlier} {new}", keep=earlier)
    building = "The login problem is fixed and customers liked the search page. Next, the app must load faster."
    assert is_useful(building, f"{earlier} {new}", keep=earlier)


# -- the extractive fallback ----------------------------------------------------------------------------


def test_extractive_summary_picks_central_sentences_in_spoken_order():
    summary = extractive_summary(MEETING, 3)
    sentences = split_sentences(summary)
    assert len(sentences) == 3
    assert all(s in MEETING for s in sentences)  # never invents a word
    positions = [MEETING.index(s) for s in sentences]
    assert positions == sorted(positions)
    assert not any(s.startswith(("Good morning", "Thank you", "See you")) for s in sentences)


def test_extractive_summary_of_little_text_is_that_text():
    assert extractive_summary("We fixed the login.", 3) == "We fixed the login."
    assert extractive_summary("Good morning everyone. We fixed the login. Thank you.", 3) == "We fixed the login."
    assert extractive_summary("", 3) == ""


def test_rolling_extract_keeps_the_previous_gist():
    previous = "The login problem is fixed. The release went out on Tuesday. The database move took two hours longer."
    new = "The next step is to make the app load faster on mobile phones. Sarah can help with testing next week."
    summary = rolling_extract(previous, new)
    assert any(s in previous for s in split_sentences(summary))
    assert any(s in new for s in split_sentences(summary))


# -- action items ---------------------------------------------------------------------------------------


def test_commitment_cues_find_the_meetings_action_items():
    items = find_action_items(MEETING)
    joined = " | ".join(items).lower()
    assert "faster on mobile" in joined
    assert "help with testing" in joined
    assert "check again on friday" in joined
    assert "sarah can join" in joined
    # questions, reports of finished work and goodbyes are not tasks
    assert not any(i.endswith("action items from last week?") for i in items)
    assert "login problem is fixed" not in joined
    assert "see you next week" not in joined


def test_an_answer_keeps_its_question():
    items = find_action_items("Who can take the lead on the performance work? I can take it.")
    assert items == ["Who can take the lead on the performance work? I can take it."]


def test_cues_cover_common_phrasings():
    text = (
        "I'll send the slides to the client. We need to update the pricing page. "
        "The report is due by Monday. Let us schedule a review. The weather was nice."
    )
    assert len(find_action_items(text)) == 4
    assert find_action_items("Okay, let's plan for that.") == ["Let's plan for that."]  # filler trimmed


def test_parse_items_reads_lists_and_drops_loops():
    raw = (
        "Action items:\n1. Update the database\n2. **Test the new search page**\n- Check the work\n- Check the work\nNo"
    )
    assert parse_items(raw) == ["Update the database.", "Test the new search page.", "Check the work."]


def test_model_items_must_rest_on_something_said():
    items = merge_items(
        find_action_items(MEETING),
        ["Update the login page.", "Hire two new designers.", "Sarah helps with testing on older devices next week."],
        MEETING,
    )
    joined = " | ".join(items).lower()
    assert "update the login page" not in joined  # the login is done: reported, not planned
    assert "designers" not in joined  # never said
    assert sum("testing" in i.lower() for i in items) == 1  # the same task is listed once
    assert anchored("Make the app load faster on mobile phones.", MEETING)


# -- the prompt budget ----------------------------------------------------------------------------------


def test_keep_newest_keeps_whole_recent_sentences():
    text = "First point here. Second point here. Third point is the newest."
    assert keep_newest(text, 100, n_words) == text
    assert keep_newest(text, 7, n_words) == "Third point is the newest."
    assert keep_newest(text, 10, n_words) == "Second point here. Third point is the newest."
    assert keep_newest(text, 0, n_words) == ""


def test_keep_newest_cuts_a_long_sentence_from_its_front():
    text = "one two three four five six seven eight nine ten"
    assert keep_newest(text, 3, n_words) == "eight nine ten"


# -- exports ----------------------------------------------------------------------------------------------


def test_exports_carry_action_items():
    t = Transcript(title="Planning")
    t.add(Segment(0.0, 2.0, "Let's check again on Friday.", id=1))
    t.insights = Insights(summary="Plans for Friday.", action_items=("Check again on Friday.",))
    data = json.loads(render(t, "json"))
    assert data["summary"] == "Plans for Friday." and data["action_items"] == ["Check again on Friday."]
    document = docx.Document(io.BytesIO(render(t, "docx")))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 2", "Action items") in paragraphs
    assert ("List Bullet", "Check again on Friday.") in paragraphs


def test_importing_the_summary_does_not_load_torch_or_llama_cpp():
    modules = (
        "rtstt.nlp.llm, rtstt.nlp.llamacpp, rtstt.nlp.notes, rtstt.nlp.transformers_chat, rtstt.nlp.gguf, "
        "rtstt.nlp.llm_device, rtstt.oom, rtstt.stages, rtstt.models.nlp_models"
    )
    code = f"import sys, {modules}; sys.exit('torch' in sys.modules or 'llama_cpp' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
