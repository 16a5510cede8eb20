"""The scoring of benchmarks/summary.py: key facts, action items (owner and due), decisions, traps and
unsupported items, and the 60-minute meeting fixture it scores against. No model is loaded."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "summary.py"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_summary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.fixture(scope="module")
def fixture() -> dict:
    return json.loads(bench.FIXTURE.read_text(encoding="utf-8"))


def perfect_notes(fixture: dict) -> dict:
    """Notes that say every key fact and hold every decision and action item, each linked to its lines."""
    return {
        "summary": " ".join(f["fact"] for f in fixture["key_facts"]),
        "decisions": [
            {"kind": "decision", "text": d["decision"], "lines": d["line_ids"]} for d in fixture["decisions"]
        ],
        "actions": [
            {"kind": "action", "text": a["task"], "owner": a["owner"], "due": a["due"], "lines": a["line_ids"]}
            for a in fixture["action_items"]
        ],
        "questions": [],
    }


def test_keyword_matches_on_word_boundaries_and_ignores_case():
    assert bench.keyword_present("June", "the festival is on june 19th")
    assert not bench.keyword_present("19", "about 190 people")
    assert not bench.keyword_present("ad", "Maria added a note")
    assert bench.keyword_present("48,000", "a total budget of $48,000.")
    assert bench.keyword_present("follow up", "a follow-up call")
    assert bench.keyword_present("mayor's office", "the Mayor\u2019s office")


def test_any_of_needs_one_alternative_of_every_inner_list():
    any_of = [["grant"], ["20,000", "20k"]]
    assert bench.matches_any_of(any_of, "The city grant of 20k came through.")
    assert not bench.matches_any_of(any_of, "The city grant came through.")
    assert not bench.matches_any_of([], "anything")


def test_fact_found_and_missed():
    facts = [
        {"fact": "Budget is $48,000", "any_of": [["48,000", "48k"]]},
        {"fact": "Next meeting March 4th", "any_of": [["march 4", "march 4th"]]},
    ]
    notes = {"summary": "The budget is $48,000.", "decisions": [], "actions": [], "questions": []}
    scores = bench.score_facts(facts, notes)
    assert scores["found"] == 1 and scores["pct"] == 50.0
    assert scores["missed"] == ["Next meeting March 4th"]
    # a fact written only in an item counts too
    notes["questions"] = [{"kind": "question", "text": "Confirm the meeting on March 4th?"}]
    assert bench.score_facts(facts, notes)["found"] == 2


def test_action_item_owner_and_due_are_checked():
    expected = [
        {
            "task": "Get T-shirt quotes",
            "owner": "Priya",
            "due": "Friday",
            "any_of": [["t-shirts", "shirts"], ["quotes"]],
            "line_ids": [7],
        },
        {"task": "Ask about the gym", "owner": "Tom", "due": "", "any_of": [["gym"]], "line_ids": [9]},
        {
            "task": "Send letters",
            "owner": "Grace",
            "due": "March 1st",
            "due_any": ["March 1", "March 1st"],
            "any_of": [["letters"]],
            "line_ids": [3],
        },
    ]
    notes = {
        "actions": [
            {"text": "Get quotes for volunteer T-shirts", "owner": "Priya", "due": "by Friday", "lines": [7]},
            {"text": "Check whether the gym is free", "owner": "Daniel", "due": "", "lines": [9]},
            {"text": "Grace sends the vendor letters by March 1", "owner": "", "due": "", "lines": []},
        ]
    }
    scores = bench.score_actions(expected, notes)
    rows = scores["items"]
    assert scores["found"] == 3
    assert rows[0]["owner_ok"] and rows[0]["due_ok"] and rows[0]["linked"]
    assert not rows[1]["owner_ok"] and rows[1]["due_ok"] is None  # wrong owner; no date was said
    assert rows[2]["owner_ok"] and rows[2]["due_ok"] and not rows[2]["linked"]  # owner and date in the text
    assert scores["owner_matched"] == 2 and scores["due_matched"] == 2 and scores["complete"] == 2


def test_wrong_due_date_and_missing_item():
    expected = [
        {"task": "Sign the contract", "owner": "Maria", "due": "Friday", "any_of": [["contract"]]},
        {"task": "Book interpreters", "owner": "Grace", "due": "", "any_of": [["interpreters"]]},
    ]
    notes = {"actions": [{"text": "Sign the contract", "owner": "Maria", "due": "Monday"}]}
    rows = bench.score_actions(expected, notes)["items"]
    assert rows[0]["found"] and rows[0]["owner_ok"] and rows[0]["due_ok"] is False
    assert not rows[1]["found"]


def test_decisions_are_matched_among_decision_items_only():
    expected = [{"decision": "No fireworks", "any_of": [["fireworks"], ["no", "dropped"]]}]
    assert bench.score_decisions(expected, {"decisions": [{"text": "Fireworks dropped"}]})["found"] == 1
    assert bench.score_decisions(expected, {"summary": "No fireworks.", "decisions": []})["found"] == 0


TRAP = {
    "claim": "The festival is on March 4th (the next meeting is)",
    "any_of": [["festival"], ["march 4", "march 4th"]],
    "unless": ["meeting"],
    "line_ids": [1],
}


def test_trap_counted_in_summary_sentences_and_items_not_in_questions():
    notes = {
        "summary": "Next meeting on March 4th. The festival is set to start on March 4th.",
        "decisions": [{"text": "Festival moved to March 4th", "lines": [1]}],
        "actions": [],
        "questions": [{"text": "Could the festival be on March 4th?"}],
    }
    hits = bench.find_traps([TRAP], notes)
    assert [h["where"] for h in hits] == ["summary", "decisions"]
    assert hits[0]["text"] == "The festival is set to start on March 4th."
    assert not bench.states_trap(TRAP, "The next committee meeting is on March 4th, before the festival.")


def test_unsupported_items_flag_lines_and_traps():
    notes = {
        "decisions": [
            {"text": "Stage moves to the east lawn", "lines": [2]},
            {"text": "Festival on March 4th", "lines": [1]},
        ],
        "actions": [
            {"text": "Order fireworks", "owner": "Tom", "lines": [3], "supported": False},
            {"text": "Call the band", "owner": "Maria", "lines": []},
            {"text": "Book the stage", "owner": "Tom", "lines": [99]},
        ],
    }
    out = bench.unsupported_items(notes, {1, 2, 3}, [TRAP])
    reasons = {item["text"].split(" owner")[0]: item["reasons"] for item in out}
    assert reasons == {
        "Festival on March 4th": ["trap"],
        "Order fireworks": ["flag"],
        "Call the band": ["no_lines"],
        "Book the stage": ["bad_lines"],
    }


def test_fixture_is_an_hour_of_meeting_with_spread_facts(fixture: dict):
    lines = fixture["lines"]
    assert [line["id"] for line in lines] == list(range(len(lines)))
    assert all(line["start"] < line["end"] for line in lines)
    assert all(a["start"] <= b["start"] for a, b in itertools.pairwise(lines))
    assert 3500 <= lines[-1]["end"] <= 3660
    assert 8000 <= sum(len(line["text"].split()) for line in lines) <= 9500
    assert 4 <= len({line["speaker"] for line in lines}) <= 5
    assert 15 <= len(fixture["key_facts"]) <= 20
    assert 8 <= len(fixture["action_items"]) <= 12 and 5 <= len(fixture["decisions"]) <= 8
    assert 4 <= len(fixture["traps"]) <= 6
    end = {line["id"]: line["end"] for line in lines}
    said = [min(end[i] for i in f["line_ids"]) for f in fixture["key_facts"]]
    assert sum(t <= 600 for t in said) >= 3 and sum(t >= 3000 for t in said) >= 2
    for entry in fixture["action_items"] + fixture["decisions"] + fixture["traps"]:
        assert entry["line_ids"] and all(i in end for i in entry["line_ids"])
    assert all(a["owner"] in {line["speaker"] for line in lines} for a in fixture["action_items"])


def test_fixture_scores_perfect_notes_fully_and_without_traps(fixture: dict):
    scores = bench.score_notes(perfect_notes(fixture), fixture)
    assert scores["key_facts"]["pct"] == 100.0
    assert scores["action_items"]["complete"] == len(fixture["action_items"])
    assert scores["decisions"]["found"] == len(fixture["decisions"])
    assert scores["unsupported"]["count"] == 0 and scores["trap_statements"]["count"] == 0


def test_keywords_of_each_expectation_occur_in_its_own_lines(fixture: dict):
    """Facts and decisions are scored on words their lines actually say (or their digits), and an action
    item's lines name what it is about."""
    by_id = {line["id"]: line["text"] for line in fixture["lines"]}

    def said(entry: dict) -> str:
        return " ".join(by_id[i] for i in entry["line_ids"])

    for entry in fixture["key_facts"] + fixture["decisions"]:
        assert bench.matches_any_of(entry["any_of"], said(entry)), entry
    for entry in fixture["action_items"]:
        assert bench.matches_any_of(entry["any_of"][:1], said(entry)), entry
        assert bench.owner_matches(entry["owner"], {"owner": entry["owner"]})


def test_minutes_limit_scores_only_what_was_said(fixture: dict):
    scores = bench.score_notes(perfect_notes(fixture), fixture, until_s=600.0)
    assert 3 <= scores["key_facts"]["expected"] < len(fixture["key_facts"])
    assert scores["key_facts"]["pct"] == 100.0
    # items citing lines said after the limit are unsupported in a 10-minute replay
    assert scores["unsupported"]["count"] > 0


def test_score_only_reads_a_results_file(tmp_path: Path, fixture: dict, monkeypatch, capsys):
    saved = tmp_path / "summary_x.json"
    saved.write_text(json.dumps({"model": "x", "notes": perfect_notes(fixture)}))
    monkeypatch.setattr(sys, "argv", ["summary.py", "--score-only", str(saved)])
    assert bench.main() == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["key_facts"]["found"] == len(fixture["key_facts"])


def test_written_items_that_match_nothing_are_listed():
    expected = [{"task": "Sign the contract", "owner": "Maria", "due": "Friday", "any_of": [["contract"]]}]
    notes = {"actions": [{"text": "Sign the contract"}, {"text": "Get a croissant", "owner": "Grace"}]}
    assert bench.score_actions(expected, notes)["unmatched_written"] == ["Get a croissant owner: Grace"]


def test_meeting_notes_objects_become_plain_dicts():
    item = SimpleNamespace(kind="action", text="Book the stage", owner="Tom", due="", lines=(3, 4))
    notes = SimpleNamespace(summary="S.", decisions=[], actions=[item], questions=[])
    assert bench.notes_to_dict(notes) == {
        "summary": "S.",
        "decisions": [],
        "actions": [{"kind": "action", "text": "Book the stage", "owner": "Tom", "due": "", "lines": [3, 4]}],
        "questions": [],
    }
