"""Meeting notes that never overflow the model's context: a map-reduce rolling summary with linked items.

Map: each new stretch of transcript (cut to a token budget) becomes tagged notes (NOTE, DECISION,
ACTION, QUESTION). Reduce: once the unreduced notes pass a budget they are folded into a section
paragraph; at stop the sections fold into the final summary, again in budget-sized groups. Every prompt
is counted in the model's own tokens against its context before it is sent, so a two-hour meeting
costs the same per update as a five-minute one and never overflows.

Every decision, action and question is linked to the transcript lines it rests on (the window jumps there
on a click). An item whose words were not said near where the model read them is dropped: small local
models invent tasks and owners. Owners and due dates are kept only when they were said.

When the model's answers cannot be used (the 135M offline fallback often cannot follow the format), the
notes fall back to the meeting's own sentences: central sentences for the summary, commitment sentences
("I'll send it by Friday") for the actions, punctuated questions for the questions.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rtstt.errors import RtsttError
from rtstt.events import NoteItem
from rtstt.nlp.action_items import find_action_items
from rtstt.nlp.phrases import lemma
from rtstt.nlp.questions import questions_in
from rtstt.nlp.sentences import content_words, norm, split_sentences
from rtstt.nlp.summary_text import JUNK, clean_output, cut_word_loop, extractive_summary

log = logging.getLogger(__name__)

__all__ = ["ChatModel", "Line", "MeetingNotes", "NoteItem", "RollingNotes", "support"]

SYSTEM = "You take meeting notes. You write only what was said, briefly and exactly."
TEMPLATE_OVERHEAD = 32  # the chat template's own tokens around system and user turns (generous)
MAP_INPUT = 700  # transcript tokens per map call: about three minutes of speech
MAP_OUTPUT = 200
SECTION_INPUT = 450  # unreduced notes that trigger a reduce into a section
REDUCE_OUTPUT = 180
FINAL_OUTPUT = 260
UPDATE_BUDGET_S = 25.0  # stop mapping within an update after this; the rest waits for the next update
MAX_ITEMS = {"decision": 20, "action": 30, "question": 15}  # an hour: 15 actions were full by minute 30

MAP_INSTRUCTIONS = (
    "Write notes on this part of a meeting (its transcript follows), one per line, each line starting with one "
    "of these tags:\n"
    "NOTE: a fact, number, name or topic that was discussed\n"
    "DECISION: something the group agreed on\n"
    "ACTION: owner - task - due date (write none when no date was said)\n"
    "QUESTION: a question that was left open\n"
    "Write only what was said. At most 8 lines."
)

_TAG = re.compile(
    r"^\W*(note|fact|topic|decision|decided|action(?:\s+item)?|task|todo|question)s?\s*[:\-–]\s*(.+)$", re.I
)
_KIND = {"note": "note", "fact": "note", "topic": "note", "decision": "decision", "decided": "decision"}
_KIND |= {"action": "action", "action item": "action", "task": "action", "todo": "action", "question": "question"}
_NO_DUE = re.compile(r"^(?:none|n/?a|no(?:t|\s+date)?.*|unknown|unspecified|tbd|-+)$", re.I)
_NO_OWNER = re.compile(r"^(?:none|n/?a|unknown|unassigned|someone|everyone|all|the team|team|we|us|they|tbd)$", re.I)
_FIRST_PERSON = re.compile(r"^(?:i|me|myself)$", re.I)
_SELF_COMMIT = re.compile(r"\bI(?:'ll|\s+will|'m\s+going\s+to|\s+am\s+going\s+to|\s+can)\b")
# A decision is kept as one only when the talk around it says something was decided. The lexical support
# check alone let chatter through ("Dentists love festivals.", "Priya parked by the bakery."): a small model
# tags whole minutes as DECISION, and those filled the list before the real decisions came (benchmark, 20
# minutes: 12 of 12 decisions chatter). The words are the ones meetings close a point with; "let's" and
# "we'll" are not among them (they open suggestions as often as they close them).
_DECIDED = re.compile(
    r"\b(?:decid\w*|decision|agree[ds]?|agreement|go(?:ing)?\s+with|settled?|objections?|approv\w*|vote[ds]?|"
    r"consensus|so\s+that's|okay,?\s+so)\b",
    re.I,
)
_WHEN = (
    r"(?:the\s+)?(?:end\s+of\s+)?(?:next\s+|this\s+)?"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today|week|month|"
    r"\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+\w+|january|february|march|april|may|june|july|august|september|"
    r"october|november|december)(?:\s+\d{1,2}(?:st|nd|rd|th)?)?"
)
# "by Friday", "before the end of the month", "next week": a due date as it was said
_DUE_IN_TEXT = re.compile(rf"\b(?:by|before|until|due|on)\s+({_WHEN})|\b(next\s+{_WHEN})", re.I)


# "forget the rain date", "no rain date", "Not two hundred?": a point dropped after it was raised
_NEGATOR = re.compile(
    r"\b(?:no|not|forget|drop|scrap|skip)\s+(?:(?:the|a|an|any|more)\s+)?(?!objections?\b|problem\b|yet\b)"
    r"([\w'$]+(?:,\d{3})*(?:[ -][\w'$]+(?:,\d{3})*)?)",
    re.I,
)
REJECTION_SPREAD = 15  # lines after an item's own where a "no <it>" takes it back (the fee: 12 lines later)
_NUMBER_WORDS = dict(
    zero=0, one=1, two=2, three=3, four=4, five=5, six=6, seven=7, eight=8, nine=9, ten=10, eleven=11, twelve=12
)
_NUMBER_WORDS |= dict(thirteen=13, fourteen=14, fifteen=15, sixteen=16, seventeen=17, eighteen=18, nineteen=19)
_NUMBER_WORDS |= dict(twenty=20, thirty=30, forty=40, fifty=50, sixty=60, seventy=70, eighty=80, ninety=90)
_FIGURE = re.compile(r"\$?\d[\d,]*(?:\.\d+)?(?:\s*%|k\b)?|\b(?:[a-z]+)\s+(?:hundred|thousand)\b", re.I)
FIGURES_PER_SECTION = 8  # notes with a figure the section's paragraph left out, kept after it
FIGURES_PER_CHUNK = 3  # sentences with a figure the model's notes left out, noted as said
FIGURE_SENTENCE_WORDS = 30  # longer sentences are rambles: their figure goes without them
_FILLER = re.compile(r"\b(?:um+|uh+|erm|you know|like,|i mean|honestly|basically|actually)\b,?\s*", re.I)
# "if Saturday's a washout, we move it to the 26th", "I think we should go up to $200": a proposal, which
# quoted on its own reads as the plan (the rain date was rejected, the fee went to $175)
_HYPOTHETICAL = re.compile(r"\b(?:if|maybe|might|could|would|should|i'd|we'd|think|guess|suppose|unless)\b", re.I)
_OPENER = re.compile(r"^(?:(?:so|okay|ok|and|but|well|right|yeah|alright)\b[,.]?\s*)+", re.I)

# "Tom will ask the mayor's office", "Priya to call Jenna", "I'll send the letters": the owner said in the task
_OWNER_IN_TASK = re.compile(
    r"^(?P<who>I|[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)(?:\s+will|'ll|'m\s+going\s+to|\s+am\s+going\s+to|"
    r"\s+is\s+going\s+to|\s+to|\s+should|"
    r"\s+needs\s+to|\s+has\s+to|\s+agreed\s+to|\s+offered\s+to)\s+(?P<task>\w.+)$"
)


def owner_in_task(task: str) -> tuple[str, str]:
    """(owner, task) when the task opens with who does it ("Tom will ask…" -> ("Tom", "Ask…")), else
    ("", task): small models often leave the owner field empty and name the person in the task instead."""
    m = _OWNER_IN_TASK.match(task.strip())
    if not m or _NO_OWNER.match(m.group("who")):
        return "", task
    rest = m.group("task")
    return m.group("who"), rest[0].upper() + rest[1:]


def _is_person(who: str, lines: Sequence[Line]) -> bool:
    """`who` names someone in these lines: a speaker, or a capitalised word said mid-sentence ("ask Jenna"),
    not a capitalised verb that opened a task ("Need to…", "Send…")."""
    if who == "I" or any(line.speaker == who for line in lines):
        return True
    pattern = re.compile(rf"[a-z,]\s+{re.escape(who)}\b")
    return any(pattern.search(line.text) for line in lines)


_DUE_ALONE = re.compile(rf"^(?:(?:by|before|until|due|on)\s+)?{_WHEN}$", re.I)


def _due_in(text: str) -> str:
    m = _DUE_IN_TEXT.search(text)
    return (m.group(1) or m.group(2)) if m else ""


class ChatModel(Protocol):
    """What the notes need of a model: exact token counts, its context limit, a greedy answer."""

    name: str
    context_tokens: int

    def count_tokens(self, text: str) -> int: ...

    def generate(self, user: str, max_new_tokens: int, system: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Line:
    """One final transcript line: `id` is the segment id the window and the exports know."""

    id: int
    start: float
    end: float
    speaker: str
    text: str

    def spoken(self) -> str:
        return f"{self.speaker}: {self.text}" if self.speaker else self.text


@dataclass(frozen=True, slots=True)
class MeetingNotes:
    summary: str
    decisions: list[NoteItem] = field(default_factory=list)
    actions: list[NoteItem] = field(default_factory=list)
    questions: list[NoteItem] = field(default_factory=list)

    @property
    def items(self) -> list[NoteItem]:
        return [*self.decisions, *self.actions, *self.questions]


@dataclass(slots=True)
class _Note:
    text: str
    lines: tuple[int, ...]
    start: float


# -- support: which lines an item rests on ------------------------------------------------------------------


def _stems(text: str) -> set[str]:
    return {lemma(w) for w in content_words(text)}


def support(text: str, lines: Sequence[Line], *, window: int = 1) -> tuple[int, ...]:
    """The ids of the lines `text` rests on, best first; () when it rests on none.

    A claim rests on a line when that line and its neighbours (`window` each side: a point is often made
    across two turns) say at least half of its topic words, and at least two of them (one for a claim of
    one or two topic words). Words compare by lemma, so "publishes" matches "publish".
    """
    topic = _stems(text)
    if not topic or not lines:
        return ()
    stems = [_stems(line.text) for line in lines]
    need = max(1 if len(topic) <= 2 else 2, (len(topic) + 1) // 2)
    best: tuple[int, int] = (0, -1)
    for i, own in enumerate(stems):
        hits = len(topic & own)
        if hits and hits > best[0]:
            best = (hits, i)
    if best[1] < 0:
        return ()
    i = best[1]
    lo, hi = max(0, i - window), min(len(lines), i + window + 1)
    covered = set().union(*stems[lo:hi]) & topic
    if len(covered) < need:
        return ()
    linked = [lines[i].id] + [lines[j].id for j in range(lo, hi) if j != i and topic & stems[j]]
    return tuple(linked)


def _takes_on(text: str, owner: str) -> bool:
    """The line's speaker takes the task on ("I'll…", "I can…") and does not hand it to `owner` by name."""
    return bool(_SELF_COMMIT.search(text)) and (not owner or owner.lower() not in text.lower())


def _near(lines: Sequence[Line], ids: tuple[int, ...], spread: int) -> list[Line]:
    """The linked lines and those within `spread` lines of them, in order."""
    index = {line.id: i for i, line in enumerate(lines)}
    picked = {j for i in (index[x] for x in ids if x in index) for j in range(i - spread, i + spread + 1)}
    return [lines[j] for j in sorted(picked) if 0 <= j < len(lines)]


def _decided_near(lines: Sequence[Line], ids: tuple[int, ...]) -> bool:
    """Whether the linked lines or their neighbours close a point ("Okay, so decided", "any objections?")."""
    return any(_DECIDED.search(line.text) for line in _near(lines, ids, 1))


def _said_near(phrase: str, lines: Sequence[Line], ids: tuple[int, ...], spread: int = 2) -> bool:
    """Whether `phrase` was said within `spread` lines of the linked ones (owners and due dates)."""
    key = norm(phrase)
    if not key:
        return False
    near = " ".join(norm(line.spoken()) for line in _near(lines, ids, spread))
    return f" {key} " in f" {near} "


def _figures(text: str) -> set[int]:
    """The numbers in `text` as integers: "$4,500" and "4500" -> 4500, "two hundred" -> 200 (dates and
    amounts alike; enough to tell whether a figure was kept or taken back)."""
    found: set[int] = set()
    for match in _FIGURE.finditer(text):
        token = match.group(0).lower()
        words = token.split()
        if len(words) == 2 and words[0] in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[words[0]] * (100 if words[1] == "hundred" else 1000))
            continue
        digits = re.sub(r"[^\d.]", "", token)
        try:
            value = float(digits)
        except ValueError:
            continue
        found.add(int(value * 1000) if token.endswith("k") else int(value))
    return found


def _taken_back(text: str, lines: Sequence[Line], ids: tuple[int, ...]) -> bool:
    """Whether someone took the point back after it was said: "forget the rain date", "so no rain date",
    "Not two hundred?" within REJECTION_SPREAD lines after its first line, naming one of its topic words or
    one of its figures. A small model writes a proposal that the room then dropped as a task or a decision
    (the hour's benchmark: "Set a rain date.", "fee increase to $200" where $175 was agreed)."""
    index = {line.id: i for i, line in enumerate(lines)}
    starts = [index[x] for x in ids if x in index]
    if not starts:
        return False
    topic, figures = _stems(text), _figures(text)
    if any(_stems(m.group(1)) & topic for m in _NEGATOR.finditer(text)):
        return False  # "No fireworks this year.": a later "no fireworks" agrees with it
    first = min(starts)
    if figures:  # from where its figure was first said nearby: the model may link the line that settled it
        earlier = range(max(0, first - REJECTION_SPREAD), first)
        first = min([first] + [i for i in earlier if _figures(lines[i].text) & figures])
    for line in lines[first + 1 : first + 1 + REJECTION_SPREAD]:
        for match in _NEGATOR.finditer(line.text):
            named = match.group(1)
            if _stems(named) & topic or _figures(named) & figures:
                return True
    return False


def _figures_said(chunk: Sequence[Line], covered: set[int]) -> list[_Note]:
    """The sentences of `chunk` that state a figure the model's notes on it left out ("Our total budget for
    this year is $48,000."), as said by whom, at most FIGURES_PER_CHUNK, amounts of money first. A 1.5B model
    writes eight notes on three minutes of talk and drops most numbers (benchmark, the hour: the budget, the
    vendor count, the volunteers, the headliner's fee were in no note); numbers are what notes are read for,
    and a sentence that was said cannot be an invention."""
    found: list[tuple[int, int, int, int, _Note, set[int]]] = []  # amounts first, then more figures, more words
    for order, line in enumerate(chunk):
        for sentence in split_sentences(line.text):
            said = _OPENER.sub("", _FILLER.sub("", sentence)).strip()
            if said.endswith("?") or not re.search(r"\d", said) or len(said.split()) > FIGURE_SENTENCE_WORDS:
                continue
            if _HYPOTHETICAL.search(said):
                continue
            figures = _figures(said) - covered
            if not figures:
                continue
            text = said[0].upper() + said[1:]
            note = _Note(f"{line.speaker}: {text}" if line.speaker else text, (line.id,), line.start)
            found.append((0 if "$" in said else 1, -len(figures), -len(content_words(said)), order, note, figures))
    picked: list[_Note] = []
    for *_, note, figures in sorted(found, key=lambda f: f[:4]):
        if len(picked) < FIGURES_PER_CHUNK and figures - covered:
            picked.append(note)
            covered |= figures
    return sorted(picked, key=lambda n: n.start)


def _figures_left_out(notes: Sequence[str], paragraph: str) -> list[str]:
    """Notes holding a figure (an amount, a count, a date) that `paragraph` does not: folding ten minutes of
    notes into three sentences dropped most of them (benchmark, the hour: the budget, the volunteers, the
    headliner's fee), and a meeting's numbers are what its notes are read for."""
    kept = _figures(paragraph)
    left: list[str] = []
    for note in notes:
        figures = _figures(note)
        if figures and not figures <= kept:
            left.append(note)
            kept |= figures
    return left[:FIGURES_PER_SECTION]


# -- reading the model's answers --------------------------------------------------------------------------


def parse_tagged(answer: str) -> list[tuple[str, str]]:
    """(kind, text) pairs from a map answer: lines tagged NOTE/DECISION/ACTION/QUESTION; others ignored."""
    found: list[tuple[str, str]] = []
    for raw in answer.replace("\r", "").split("\n"):
        m = _TAG.match(raw.replace("**", "").strip())
        if not m:
            continue
        body = cut_word_loop(m.group(2).strip().strip("\"'"))
        if len(body.split()) < 2 or JUNK.search(body):
            continue
        kind = _KIND[" ".join(m.group(1).lower().split()).rstrip("s")]
        if (kind, body) not in found:
            found.append((kind, body))
    return found


def split_action(body: str) -> tuple[str, str, str]:
    """(owner, task, due) from "Owner - task - due", "Owner | task | due" or "Owner: task (by Friday)"."""
    parts = [p.strip() for p in re.split(r"\s+[-–|]\s+|\s*\|\s*", body) if p.strip()]
    owner, due = "", ""
    if len(parts) >= 3:
        owner, task, due = parts[0], " - ".join(parts[1:-1]), parts[-1]
    elif len(parts) == 2 and len(parts[0].split()) <= 3:
        owner, task = parts
    elif len(parts) == 2 and (_NO_DUE.match(parts[1]) or _DUE_ALONE.match(parts[1])):
        task, due = parts  # "task - due" with the owner left out
    else:
        m = re.match(r"^([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)\s*:\s*(.+)$", body)
        owner, task = (m.group(1), m.group(2)) if m else ("", body)
    if not due:
        m = re.search(r"\((?:due\s*:?\s*)?([^)]+)\)\s*$", task)
        if m:
            task, due = task[: m.start()].strip(), m.group(1).strip()
    if not due:
        due = _due_in(task)
    due = re.sub(r"^(?:due|by)\s*:?\s*", "", due, flags=re.I).strip(" .")
    owner = re.sub(r"^(?:owner|who)\s*:\s*", "", owner, flags=re.I).strip(" .")
    if _NO_DUE.match(due):
        due = ""
    if _NO_OWNER.match(owner) or len(owner.split()) > 3:
        owner = ""
    return owner, task.strip(" .;"), due


def _same(a: str, b: str) -> bool:
    """The same item in other words; never two items with different figures ("fee to $200" / "to $175")."""
    fa, fb = _figures(a), _figures(b)
    if fa and fb and fa != fb:
        return False
    wa, wb = _stems(a), _stems(b)
    if not wa or not wb:
        return norm(a) == norm(b)
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.6


def _sentence(text: str) -> str:
    text = text.strip().rstrip(" ,;:")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


# -- the rolling notes ------------------------------------------------------------------------------------


class RollingNotes:
    """The meeting's notes as it goes: `add` final lines, `update` now and then, `final` at stop."""

    def __init__(self, llm: ChatModel, *, update_budget_s: float = UPDATE_BUDGET_S) -> None:
        self.llm = llm
        self.weak = bool(getattr(llm, "weak", False))  # a small fallback model: its items are helped out
        self.update_budget_s = update_budget_s
        self.lines: list[Line] = []
        self._pending = 0  # index into `lines` of the first line not yet mapped
        self._notes: list[_Note] = []  # mapped, not yet folded into a section
        self.sections: list[str] = []
        self._paragraphs: list[str] = []  # each section's paragraph without the figures kept after it
        self._section_starts: list[float] = []  # where in the meeting each section begins
        self.items: list[NoteItem] = []
        self.model_failed = 0  # map answers with nothing usable: the summary falls back to what was said
        self.model_used = 0
        self.dropped: list[str] = []  # items the model proposed that rest on nothing said
        self._tokens: dict[int, int] = {}
        self.failure = ""  # the model's last error, for the panel
        self.stats: dict[str, float] = {"largest_prompt_tokens": 0, "context_tokens": llm.context_tokens}
        self.stats |= {"map_calls": 0, "reduce_calls": 0, "generated_tokens": 0, "generate_s": 0.0}
        self.stats["decisions_demoted"] = 0
        self.stats["taken_back"] = 0  # actions and decisions the room dropped after they were raised
        self.noted: list[str] = []  # every note the map kept, in order (what the sections were folded from)

    # -- input --------------------------------------------------------------------------------------------
    def add(self, lines: Sequence[Line]) -> None:
        """New final lines. A live transcript finalizes clauses ("I think the next step is"): a line that
        continues the same speaker's unfinished sentence joins it (keeping the first line's id), so the
        model, the commitment finder and the links all see whole sentences."""
        for line in lines:
            if not line.text.strip():
                continue
            last = self.lines[-1] if len(self.lines) > self._pending else None
            if last is not None and _continues(last, line):
                self.lines[-1] = Line(last.id, last.start, line.end, last.speaker, f"{last.text} {line.text.strip()}")
                self._tokens.pop(last.id, None)
            else:
                self.lines.append(line)

    @property
    def pending_lines(self) -> list[Line]:
        return self.lines[self._pending :]

    # -- the model, within its context ---------------------------------------------------------------------
    def _budget(self, max_out: int) -> int:
        """Tokens left for the prompt's content once the system prompt, template and answer are counted."""
        return self.llm.context_tokens - max_out - TEMPLATE_OVERHEAD - self.llm.count_tokens(SYSTEM)

    def _map_budget(self) -> int:
        """Transcript tokens per map call: MAP_INPUT, less on a small context (the instructions need ~120)."""
        budget = min(MAP_INPUT, self._budget(MAP_OUTPUT) - 120)
        if budget < 64:
            raise RtsttError(
                f"the summary model's context ({self.llm.context_tokens} tokens) is too small for meeting notes",
                "choose a model with a context of 1024 tokens or more",
            )
        return budget

    def _ask(self, prompt: str, max_out: int) -> str:
        size = self.llm.count_tokens(SYSTEM) + self.llm.count_tokens(prompt) + TEMPLATE_OVERHEAD
        if size + max_out > self.llm.context_tokens:  # never reached by construction: a bug, not a meeting
            raise RtsttError(f"a summary prompt of {size} tokens would overflow the model's {self.llm.context_tokens}")
        self.stats["largest_prompt_tokens"] = max(self.stats["largest_prompt_tokens"], size)
        t0 = time.perf_counter()
        try:
            answer = self.llm.generate(prompt, max_out, SYSTEM)
        except RtsttError:
            raise
        except Exception as exc:  # a broken model must still leave notes: the fallback takes over
            log.exception("the summary model failed")
            self.failure = str(exc)
            answer = ""
        self.stats["generate_s"] += time.perf_counter() - t0
        self.stats["generated_tokens"] += self.llm.count_tokens(answer) if answer else 0
        return answer

    def _count(self, line: Line) -> int:
        if line.id not in self._tokens:
            self._tokens[line.id] = self.llm.count_tokens(line.spoken()) + 1
        return self._tokens[line.id]

    def _next_chunk(self, budget: int) -> list[Line]:
        chunk: list[Line] = []
        used = 0
        for line in self.pending_lines:
            cost = self._count(line)
            if chunk and used + cost > budget:
                break
            chunk.append(line)
            used += cost
        if chunk and used > budget:  # one line longer than a whole chunk (a monologue): cut its words
            words = chunk[0].text.split()
            while words and self.llm.count_tokens(" ".join(words)) + 8 > budget:
                words = words[: len(words) * 3 // 4]
            chunk = [Line(chunk[0].id, chunk[0].start, chunk[0].end, chunk[0].speaker, " ".join(words))]
        return chunk

    # -- map ----------------------------------------------------------------------------------------------
    def _map(self, chunk: list[Line]) -> None:
        transcript = "\n".join(line.spoken() for line in chunk)
        # The instructions come first and never change, so llama.cpp keeps them in its cache from one call to
        # the next and reads only the new transcript: reading the prompt was ~45 % of a map call's time here.
        prompt = (
            f"{MAP_INSTRUCTIONS}\n\n"
            f"Meeting transcript, {_clock(chunk[0].start)} to {_clock(chunk[-1].end)}:\n{transcript}"
        )
        self.stats["map_calls"] += 1
        tagged = parse_tagged(self._ask(prompt, MAP_OUTPUT))
        kept = 0
        noted = len(self.noted)
        for kind, body in tagged:
            kept += self._take(kind, body, chunk)
        if kept:
            written = " ".join(self.noted[noted:] + [body for _, body in tagged])
            for note in _figures_said(chunk, _figures(written)):
                self._note(note)
            self.model_used += 1
            if self.weak:  # the offline fallback misses most tasks: the commitments said are listed too
                self._commitments(chunk)
        else:
            self.model_failed += 1
            self._fall_back(chunk)

    def _take(self, kind: str, body: str, chunk: list[Line]) -> int:
        owner = due = ""
        text = body
        if kind == "action":
            owner, text, due = split_action(body)
            if not owner:
                who, task = owner_in_task(text)
                if who and _is_person(who, chunk):
                    owner, text = who, task
        linked = support(text, chunk)
        if not linked:
            self.dropped.append(f"{kind}: {body}")
            return 0
        if kind == "note":
            self._note(_Note(_sentence(text), linked, chunk[0].start))
            return 1
        source = next((line for line in chunk if line.id == linked[0]), None)
        if owner and not _said_near(owner, chunk, linked):
            owner = source.speaker if source is not None and _FIRST_PERSON.match(owner) else ""
        # "I'll call Jenna this week" is its speaker's task, whoever the model named (benchmark: the chair who
        # announced the decision got the task of the member who took it on)
        if kind == "action" and source is not None and source.speaker and owner != source.speaker:
            owner = source.speaker if _takes_on(source.text, owner) else owner
        if due and not _said_near(due, chunk, linked):
            due = ""
        if kind in ("action", "decision") and _taken_back(text, chunk, linked):
            self.dropped.append(f"{kind} (taken back): {body}")
            self.stats["taken_back"] += 1
            return 0
        if kind == "decision" and not _decided_near(chunk, linked):
            self.stats["decisions_demoted"] += 1  # said, perhaps, but nobody decided it: a note, not a decision
            self._note(_Note(_sentence(text), linked, chunk[0].start))
            return 1
        item = NoteItem(kind, _sentence(text), owner, due, linked)
        if kind == "decision":
            self._note(_Note(_sentence(f"Decided: {text}"), linked, chunk[0].start))
        self._keep(item)
        return 1

    def _note(self, note: _Note) -> None:
        self._notes.append(note)
        self.noted.append(note.text)

    def _keep(self, item: NoteItem) -> None:
        for i, seen in enumerate(self.items):
            if seen.kind == item.kind and _same(seen.text, item.text):
                self.items[i] = NoteItem(
                    seen.kind,
                    seen.text,
                    seen.owner or item.owner,
                    seen.due or item.due,
                    tuple(dict.fromkeys(seen.lines + item.lines)),
                )
                return
        if sum(1 for seen in self.items if seen.kind == item.kind) < MAX_ITEMS[item.kind]:
            self.items.append(item)

    def _fall_back(self, chunk: list[Line]) -> None:
        """Notes from what was said when the model gave nothing usable: never invented, never empty."""
        text = " ".join(line.text for line in chunk)
        for sentence in split_sentences(extractive_summary(text, 2)):
            self._note(_Note(sentence, support(sentence, chunk, window=0), chunk[0].start))
        self._commitments(chunk)

    def _commitments(self, chunk: list[Line]) -> None:
        """Commitment sentences ("I'll send it by Friday") as actions, punctuated questions as questions."""
        for line in chunk:
            for task in find_action_items(line.text):
                owner, said = owner_in_task(task)
                if owner and not _is_person(owner, chunk):
                    owner = ""
                if owner == "I":
                    owner = line.speaker
                task = said if owner else task
                self._keep(NoteItem("action", _sentence(task), owner, _due_in(task), (line.id,)))
            for question in questions_in(line.text):
                if len(question.split()) >= 4:
                    self._keep(NoteItem("question", question.strip(), "", "", (line.id,)))

    # -- reduce -------------------------------------------------------------------------------------------
    def _fold(self, notes: list[str], instruction: str, max_out: int) -> str:
        """One paragraph from notes, by the model when its answer stays on them, else from the notes."""
        body = "\n".join(f"- {n}" for n in notes)
        answer = clean_output(self._ask(f"Meeting notes:\n{body}\n\n{instruction}", max_out), echo=(instruction,))
        if answer and len(answer.split()) >= 8 and _on_topic(answer, body):
            return answer
        return " ".join(notes[:6])

    def _reduce_notes(self) -> None:
        if not self._notes:
            return
        budget = self._budget(REDUCE_OUTPUT) - 60
        group: list[_Note] = []
        used = 0
        for note in self._notes:
            cost = self.llm.count_tokens(note.text) + 2
            if group and used + cost > budget:
                break
            group.append(note)
            used += cost
        self._notes = self._notes[len(group) :]
        self.stats["reduce_calls"] += 1
        self._section_starts.append(group[0].start)
        texts = [n.text for n in group]
        paragraph = self._fold(
            texts,
            "Write one short paragraph (3 to 4 sentences) with these points. Keep names, numbers, dates "
            "and decisions. Add nothing that is not in the notes.",
            REDUCE_OUTPUT,
        )
        self._paragraphs.append(paragraph)
        self.sections.append(" ".join([paragraph, *_figures_left_out(texts, paragraph)]))

    def _notes_tokens(self) -> int:
        return sum(self.llm.count_tokens(n.text) + 2 for n in self._notes)

    # -- the rolling update and the end -------------------------------------------------------------------
    def update(self) -> str:
        """Map what arrived since the last update (as much as fits the time budget). Returns the summary so
        far, to show at once; folding the notes into a section is `fold_due`'s, after it is shown."""
        t0 = time.perf_counter()
        budget = self._map_budget()
        while self.pending_lines:  # at least one map call, so an update always moves on
            chunk = self._next_chunk(budget)
            self._pending += len(chunk)
            self._map(chunk)
            if time.perf_counter() - t0 >= self.update_budget_s:
                break
        self._retract()
        return self.summary_so_far()

    def _retract(self) -> None:
        """Items and decision notes the room took back after the chunk they came from ended ("forget the rain
        date" two minutes after "what if we set a rain date?") go, checked against every line heard since."""
        mapped = self.lines[: self._pending]
        kept: list[NoteItem] = []
        for item in self.items:
            if item.kind in ("action", "decision") and _taken_back(item.text, mapped, item.lines):
                self.dropped.append(f"{item.kind} (taken back): {item.text}")
                self.stats["taken_back"] += 1
            else:
                kept.append(item)
        self.items = kept
        self._notes = [
            n for n in self._notes if not (n.text.startswith("Decided:") and _taken_back(n.text, mapped, n.lines))
        ]

    def fold_due(self) -> bool:
        """Fold the notes into a section when they pass their budget (True when it did). Called after the
        update is shown, while the next minute is being spoken: done inside the update, a map and a fold
        took 30-60 s on 2 cores (benchmark), and the minute's notes waited for a paragraph about older ones."""
        if self._notes_tokens() < SECTION_INPUT:
            return False
        self._reduce_notes()
        return True

    def summary_so_far(self) -> str:
        newest = " ".join(n.text for n in self._notes[-4:])
        return "\n\n".join(p for p in [*self.sections, newest] if p)

    def final(self) -> MeetingNotes:
        """Everything mapped and folded, then one summary of the whole meeting (folded in groups that fit
        the context, so an hour of sections is summarized too), and the items in the order they were said.
        The summary is that overview followed by the sections with their start times: five sentences cannot
        hold an hour's names and numbers (20-minute benchmark: 4 of 9 key facts in the overview alone)."""
        budget = self._map_budget()
        while self.pending_lines:
            chunk = self._next_chunk(budget)
            self._pending += len(chunk)
            self._map(chunk)
        self._retract()
        while self._notes:
            self._reduce_notes()
        # With timed sections below it, the overview is written from their paragraphs: the figures follow in
        # the sections, and with the quoted sentences in its input the model's overview became a copy of one
        # section (benchmark, the hour). Without them, the summary is all there is: figures included.
        with_sections = len(self.sections) > 2
        summary = self._final_summary(list(self._paragraphs if with_sections else self.sections))
        if with_sections:  # the overview, then the sections it was written from, by time
            timed = [f"{_clock(t)} – {text}" for t, text in zip(self._section_starts, self.sections, strict=True)]
            summary = "\n\n".join([summary, *timed])
        items = sorted(self.items, key=lambda it: self._position(it.lines[0]) if it.lines else 0)
        return MeetingNotes(
            summary,
            [it for it in items if it.kind == "decision"],
            [it for it in items if it.kind == "action"],
            [it for it in items if it.kind == "question"],
        )

    def _final_summary(self, sections: list[str]) -> str:
        instruction = (
            "Write the summary of the whole meeting in 4 to 6 sentences: what was discussed, what was "
            "decided and what happens next. Add nothing that is not in the notes."
        )
        if not sections:
            return ""
        budget = self._budget(FINAL_OUTPUT) - 80
        while len(sections) > 1 and sum(self.llm.count_tokens(s) + 2 for s in sections) > budget:
            folded: list[str] = []  # pairs folded into one: the list halves each round, each call fits
            for i in range(0, len(sections), 2):
                pair = sections[i : i + 2]
                if len(pair) == 1:
                    folded.append(pair[0])
                    continue
                self.stats["reduce_calls"] += 1
                folded.append(self._fold(pair, "Write one short paragraph with these points.", REDUCE_OUTPUT))
            sections = folded
        if len(sections) == 1 and self.stats["reduce_calls"] <= 1:
            return sections[0]
        self.stats["reduce_calls"] += 1
        return self._fold(sections, instruction, FINAL_OUTPUT)

    def _position(self, line_id: int) -> int:
        for i, line in enumerate(self.lines):
            if line.id == line_id:
                return i
        return len(self.lines)


SENTENCE_GAP_S = 1.5  # a longer pause ends an unpunctuated sentence (the speaker trailed off)


def _continues(last: Line, line: Line) -> bool:
    """`line` goes on with `last`'s sentence: same speaker, no sentence end yet, no long pause."""
    ended = last.text.rstrip().rstrip("\"')]").endswith((".", "?", "!", "…"))
    if ended or last.speaker != line.speaker or line.end - last.start > 30.0:  # a run-on stays readable
        return False
    return line.start - last.end < SENTENCE_GAP_S


def _on_topic(answer: str, source: str) -> bool:
    """Most of an answer's topic words come from its notes: otherwise the model wrote its own story."""
    topic, said = _stems(answer), _stems(source)
    return bool(topic) and len(topic & said) >= 0.6 * len(topic)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m:d}:{s:02d}"
