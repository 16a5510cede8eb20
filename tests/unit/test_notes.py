"""The map-reduce meeting notes, with a scripted model: what reaches the prompt, what is kept, what is
dropped. The model is a stand-in here on purpose: these tests pin the budget and the support rules,
which decide what a user sees whatever model runs; tests/integration/test_summary.py runs real ones."""

from __future__ import annotations

import re

import pytest

from rtstt.events import NoteItem
from rtstt.nlp.notes import Line, RollingNotes, owner_in_task, parse_tagged, split_action, support


class ScriptedModel:
    """Counts a token per word; answers from a function of the prompt; records every prompt."""

    name = "scripted"

    def __init__(self, answer, context_tokens: int = 1024) -> None:
        self.answer = answer
        self.context_tokens = context_tokens
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, user: str, max_new_tokens: int, system: str) -> str:
        self.prompts.append(user)
        assert self.count_tokens(system) + self.count_tokens(user) + 32 + max_new_tokens <= self.context_tokens
        return self.answer(user)


MEETING = [
    ("Maria", "Good morning everyone, let's start with the release plan for version two."),
    ("Tom", "The login page is done, but the search is still slow on large accounts."),
    ("Maria", "Then we ship version two on the fourteenth of March without the new search."),
    ("Tom", "Agreed. I'll send the release notes to the support team by Friday."),
    ("Priya", "Who checks the database migration before we ship?"),
    ("Maria", "Priya can you review the migration script by Wednesday?"),
    ("Priya", "Yes, I will review the migration script by Wednesday."),
]


def lines(turns=MEETING, start_id: int = 1, seconds: float = 6.0) -> list[Line]:
    return [Line(start_id + i, i * seconds, i * seconds + 5, who, text) for i, (who, text) in enumerate(turns)]


def good_answer(prompt: str) -> str:
    if "Write notes on this part" in prompt:
        return (
            "NOTE: The login page is done; search is still slow on large accounts.\n"
            "DECISION: Ship version two on the fourteenth of March without the new search.\n"
            "ACTION: Tom - send the release notes to the support team - Friday\n"
            "ACTION: Priya - review the migration script - Wednesday\n"
            "ACTION: Maria - book the launch party venue - Monday\n"  # never said: must be dropped
            "QUESTION: Who checks the database migration before shipping?"
        )
    return "Version two ships on the fourteenth of March without the new search; the login page is done."


def test_items_are_linked_to_the_lines_that_said_them_and_inventions_are_dropped():
    notes = RollingNotes(ScriptedModel(good_answer))
    notes.add(lines())
    result = notes.final()
    actions = {a.owner: a for a in result.actions}
    assert set(actions) == {"Tom", "Priya"}
    assert actions["Tom"].due == "Friday" and 4 in actions["Tom"].lines
    assert actions["Priya"].due == "Wednesday" and {6, 7} & set(actions["Priya"].lines)
    assert [d.lines[0] for d in result.decisions] == [3]
    assert result.questions and result.questions[0].lines[0] == 5
    assert any("launch party" in d for d in notes.dropped)
    assert "fourteenth of March" in result.summary


def test_an_owner_or_date_nobody_said_is_not_kept():
    def answer(prompt: str) -> str:
        return "ACTION: Dave - send the release notes to the support team - next Tuesday"

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines())
    (item,) = notes.final().actions
    assert (item.owner, item.due) == ("Tom", "")  # not the invented Dave: Tom said "I'll send the release notes"
    assert item.lines[0] == 4


def test_a_decision_nobody_closed_is_kept_as_a_note_not_a_decision():
    turns = [
        ("Tom", "Sorry I'm late, I parked by the bakery on Elm street this morning."),
        ("Maria", "No problem. So the budget is forty-eight thousand this year."),
        ("Priya", "Then we cap the food vendors at twenty-four."),
        ("Maria", "Okay, so decided, twenty-four food vendors."),
    ]

    def answer(prompt: str) -> str:
        if "Write notes on this part" in prompt:
            return "DECISION: Tom parked by the bakery on Elm street.\nDECISION: Cap the food vendors at twenty-four."
        return "Notes."

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines(turns))
    result = notes.final()
    assert [d.text for d in result.decisions] == ["Cap the food vendors at twenty-four."]
    assert notes.stats["decisions_demoted"] == 1 and "bakery" in notes.summary_so_far() + result.summary


def test_a_long_meeting_never_overflows_the_context_and_keeps_its_beginning():
    """Two hours of lines through a 1k-token model: every prompt fits (the model asserts it), the map
    calls cover every line once, and the first topic is still in the final summary."""
    said = []

    def answer(prompt: str) -> str:
        if "Write notes on this part" in prompt:
            topics = re.findall(r"topic (t\d+)", prompt)
            said.extend(topics)
            return "\n".join(f"NOTE: we talked about topic {t} at length" for t in dict.fromkeys(topics))
        return " ".join(f"Topic {t} was discussed." for t in dict.fromkeys(re.findall(r"topic (t\d+)", prompt, re.I)))

    model = ScriptedModel(answer)
    notes = RollingNotes(model)
    turns = [("Ann", f"now we talked about topic t{i // 20} at some length and it went fine.") for i in range(1200)]
    for k in range(0, 1200, 60):  # a minute of lines, then an update
        notes.add(lines(turns[k : k + 60], start_id=k + 1))
        notes.update()
    result = notes.final()
    assert notes.stats["largest_prompt_tokens"] + 200 <= model.context_tokens
    assert len(said) == 1200  # each line was read exactly once
    assert "t0" in result.summary.lower() and "t59" in result.summary.lower()


def test_a_long_summary_is_an_overview_then_the_timed_sections(monkeypatch: pytest.MonkeyPatch):
    import rtstt.nlp.notes as notes_module

    monkeypatch.setattr(notes_module, "SECTION_INPUT", 20)  # a section every few notes
    notes = RollingNotes(ScriptedModel(good_answer))
    for k in range(4):
        notes.add(lines(MEETING, start_id=1 + 10 * k, seconds=6.0 + k))
        notes.update()
        notes.fold_due()
    result = notes.final()
    overview, *sections = result.summary.split("\n\n")
    assert len(notes.sections) > 2 and len(sections) == len(notes.sections)
    assert overview and sections[0].startswith("0:00 – ")


def test_unusable_answers_fall_back_to_what_was_said():
    notes = RollingNotes(ScriptedModel(lambda prompt: "I'm sorry, as an AI I cannot help with that."))
    notes.add(lines())
    result = notes.final()
    assert notes.model_failed and not notes.model_used
    assert result.summary and all(w in " ".join(t for _w, t in MEETING) for w in result.summary.split()[:3])
    tasks = " ".join(a.text for a in result.actions).lower()
    assert "release notes" in tasks and "migration script" in tasks
    assert any(a.owner == "Tom" and a.due.lower() == "friday" for a in result.actions)
    assert [q.lines[0] for q in result.questions] == [5, 6]


def test_an_update_is_bounded_in_time_and_the_rest_waits(monkeypatch: pytest.MonkeyPatch):
    model = ScriptedModel(good_answer, context_tokens=600)  # small: a minute needs several map calls
    notes = RollingNotes(model, update_budget_s=0.0)  # one map call, then the time is up
    notes.add(lines(MEETING * 10))
    notes.update()
    assert len(model.prompts) == 1 and notes.pending_lines
    notes.final()
    assert not notes.pending_lines


def test_tags_and_actions_are_read_leniently():
    assert parse_tagged("Here are the notes:\n- **DECISION:** ship on Monday\nAction item: Tom - write it up") == [
        ("decision", "ship on Monday"),
        ("action", "Tom - write it up"),
    ]
    assert split_action("Tom - send the notes - none") == ("Tom", "send the notes", "")
    assert split_action("Tom: send the notes (by Friday)") == ("Tom", "send the notes", "Friday")
    assert split_action("send the notes to support by next Tuesday") == (
        "",
        "send the notes to support by next Tuesday",
        "next Tuesday",
    )
    assert split_action("The team - fix the search") == ("", "fix the search", "")
    assert split_action("Tom will send the release notes - none") == ("", "Tom will send the release notes", "")
    assert split_action("review the migration script - by Wednesday") == (
        "",
        "review the migration script",
        "Wednesday",
    )


def test_an_owner_named_in_the_task_moves_to_the_owner_field():
    assert owner_in_task("Tom will send the release notes") == ("Tom", "Send the release notes")
    assert owner_in_task("Priya to review the migration script") == ("Priya", "Review the migration script")
    assert owner_in_task("I'll send it by Friday") == ("I", "Send it by Friday")
    assert owner_in_task("send the notes") == ("", "send the notes")
    assert owner_in_task("Everyone should read the plan") == ("", "Everyone should read the plan")

    def answer(prompt: str) -> str:
        if "Write notes on this part" in prompt:
            return (
                "ACTION: Tom will send the release notes to the support team - none\n"
                "ACTION: Need to review the migration script - Wednesday"  # a verb, not a person
            )
        return "Notes."

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines())
    actions = {a.text: a for a in notes.final().actions}
    assert actions["Send the release notes to the support team."].owner == "Tom"
    assert actions["Need to review the migration script."].owner == ""


def test_a_task_someone_took_on_in_the_first_person_is_theirs():
    def answer(prompt: str) -> str:  # the chair named as owner of what Tom said he would do
        return "ACTION: Maria - send the release notes to the support team - Friday" if "Write notes" in prompt else ""

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines())
    (item,) = notes.final().actions
    assert (item.owner, item.due) == ("Tom", "Friday")


def test_support_needs_the_words_said_nearby():
    meeting = lines()
    assert support("Priya reviews the migration script", meeting)[0] in (6, 7)
    assert support("the mayor approved the new timetable", meeting) == ()
    assert support("", meeting) == ()


def test_note_items_read_plainly():
    assert NoteItem("action", "Send the notes.", "Tom", "Friday", (4,)).plain() == "Tom: Send the notes (due Friday)"
    assert NoteItem("decision", "Ship on Monday.").plain() == "Ship on Monday."


def test_live_clauses_are_read_as_whole_sentences():
    clauses = [
        Line(1, 0.0, 1.0, "Tom", "I think the next step"),
        Line(2, 1.1, 2.0, "Tom", "is to make the app faster,"),
        Line(3, 2.1, 3.5, "Tom", "and I'll send the plan by Friday."),
        Line(4, 3.7, 4.5, "Ann", "Who can take"),
        Line(5, 4.6, 5.2, "Ann", "the testing?"),
    ]
    notes = RollingNotes(ScriptedModel(lambda prompt: ""))
    notes.add(clauses[:2])
    notes.add(clauses[2:])
    assert [(line.id, line.text) for line in notes.lines] == [
        (1, "I think the next step is to make the app faster, and I'll send the plan by Friday."),
        (4, "Who can take the testing?"),
    ]
    result = notes.final()
    assert [(q.text, q.lines) for q in result.questions] == [("Who can take the testing?", (4,))]
    assert any(a.due == "Friday" and a.lines == (1,) for a in result.actions)


def test_a_proposal_the_room_took_back_is_neither_a_task_nor_a_decision():
    turns = [
        ("Tom", "What if we set a rain date? If Saturday is a washout we move it to June 26th."),
        ("Grace", "The tennis tournament has the park that weekend."),
        ("Tom", "Okay, forget the rain date. It was a thought."),
        ("Grace", "I think the vendor fee should go up to $200."),
        ("Daniel", "That is a lot for the small family places."),
        ("Maria", "Everyone okay with $175? Not two hundred?"),
        ("Maria", "Okay, so decided, the vendor fee goes up to $175 and no fireworks this year."),
        ("Tom", "Agreed, no fireworks."),
    ]

    def answer(prompt: str) -> str:
        if "Write notes on this part" in prompt:
            return (
                "ACTION: Tom - set a rain date - June 26th\n"
                "DECISION: The vendor fee goes up to $200.\n"
                "DECISION: The vendor fee goes up to $175.\n"
                "DECISION: No fireworks this year."
            )
        return "Notes."

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines(turns))
    result = notes.final()
    assert result.actions == []
    assert [d.text for d in result.decisions] == ["The vendor fee goes up to $175.", "No fireworks this year."]
    assert notes.stats["taken_back"] == 2


def test_figures_the_section_paragraph_left_out_are_kept_after_it(monkeypatch: pytest.MonkeyPatch):
    """Folding notes into a paragraph loses numbers; the notes holding them follow the paragraph."""
    import rtstt.nlp.notes as notes_module

    monkeypatch.setattr(notes_module, "SECTION_INPUT", 10)
    turns = [
        ("Maria", "The total budget this year is $48,000 for the whole festival."),
        ("Tom", "We need 120 volunteers and 45 have signed up so far."),
        ("Grace", "We should book the stage on the east lawn of the park."),
    ]

    def answer(prompt: str) -> str:
        if "Write notes on this part" in prompt:
            return (
                "NOTE: The total budget is $48,000.\n"
                "NOTE: 120 volunteers are needed and 45 have signed up.\n"
                "NOTE: The stage goes on the east lawn of the park."
            )
        return "The committee talked about the budget, the volunteers and the stage on the east lawn of the park."

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines(turns))
    notes.update()
    assert notes.fold_due()
    section = notes.sections[0]
    assert section.startswith("The committee talked about")
    assert "$48,000" in section and "120 volunteers" in section and section.count("east lawn") == 1


def test_a_task_taken_back_in_a_later_chunk_is_dropped_then():
    """The proposal and its rejection fall in different map calls: the later update retracts the task."""
    proposal = [("Tom", "What if we set a rain date? If Saturday is a washout we move it to June 26th.")]
    rejection = [("Grace", "Nobody does rain dates anymore."), ("Tom", "Okay, forget the rain date.")]

    def answer(prompt: str) -> str:
        if "Write notes on this part" in prompt and "rain date?" in prompt:
            return "ACTION: Tom - set a rain date - June 26th"
        return "NOTE: Rain dates are out of fashion."

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines(proposal))
    notes.update()
    assert [a.text for a in notes.items] == ["Set a rain date."]
    notes.add(lines(rejection, start_id=2, seconds=7.0))
    notes.update()
    assert notes.items == [] and notes.final().actions == []
    assert any("taken back" in d for d in notes.dropped)


def test_figures_the_model_left_out_are_noted_as_said_and_proposals_are_not():
    turns = [
        ("Priya", "Okay. So, um, our total budget for this year is $48,000."),
        ("Tom", "What if we move it to the next weekend, June 26th?"),
        ("Grace", "I think we should go up to $200 for the vendor fee."),
        ("Daniel", "Right now we have 45 volunteers signed up."),
    ]

    def answer(prompt: str) -> str:
        if "Write notes on this part" in prompt:
            return "NOTE: 45 volunteers have signed up."
        return "Notes."

    notes = RollingNotes(ScriptedModel(answer))
    notes.add(lines(turns))
    notes.update()
    assert notes.noted == ["45 volunteers have signed up.", "Priya: Our total budget for this year is $48,000."]
