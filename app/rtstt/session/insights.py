"""What the downstream stages concluded about a session, as one typed record.

It used to be a dict under string keys written from three places; now every writer builds an
`Insights` and the journal, the window and the exporters read its fields. The journal format is
unchanged (`{"kind": "insights", "data": {...}}`, the newest value wins per key), so old sessions load.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rtstt.events import NoteItem

Question = tuple[int, float, str | None, str]
"""(segment id, start seconds, speaker or None, text)"""


@dataclass(frozen=True, slots=True)
class Insights:
    keywords: tuple[tuple[str, float], ...] = ()  # the whole session's key phrases, best first
    questions: tuple[Question, ...] = ()  # in time order
    summary: str = ""
    summary_final: bool = False  # the summary written at Stop, over the whole session
    action_items: tuple[str, ...] = ()
    notes: tuple[NoteItem, ...] = ()  # decisions, actions (owner, due), open questions, linked to segment ids
    speakers_uncertain: bool = False  # the speaker stage could not tell the voices apart (SpeakerLabels.uncertain)

    def __bool__(self) -> bool:
        return bool(self.keywords or self.questions or self.summary or self.action_items or self.notes)

    def to_dict(self) -> dict[str, Any]:
        """The journal's and JSON export's shape: lists, not tuples."""
        return {
            "keywords": [[p, w] for p, w in self.keywords],
            "questions": [list(q) for q in self.questions],
            "summary": self.summary,
            "summary_final": self.summary_final,
            "action_items": list(self.action_items),
            "notes": [
                {"kind": n.kind, "text": n.text, "owner": n.owner, "due": n.due, "lines": list(n.lines)}
                for n in self.notes
            ],
            "speakers_uncertain": self.speakers_uncertain,
        }

    def changes(self, other: Insights) -> dict[str, Any]:
        """The fields of `other` that differ from this record, in journal form."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: v for k, v in theirs.items() if mine[k] != v}

    def merged(self, data: Mapping[str, Any]) -> Insights:
        """This record with the keys present in `data` (a journal record or an old snapshot) replaced."""
        updates: dict[str, Any] = {}
        if "keywords" in data:
            updates["keywords"] = tuple((str(p), float(w)) for p, w in data["keywords"] or ())
        if "questions" in data:
            updates["questions"] = tuple(
                (int(i), float(s), None if sp is None else str(sp), str(t)) for i, s, sp, t in data["questions"] or ()
            )
        if "summary" in data:
            updates["summary"] = str(data["summary"] or "")
        if "summary_final" in data:
            updates["summary_final"] = bool(data["summary_final"])
        if "action_items" in data:
            updates["action_items"] = tuple(str(a) for a in data["action_items"] or ())
        if "notes" in data:  # absent from sessions journalled before the structured notes: ()
            updates["notes"] = tuple(_note(n) for n in data["notes"] or () if isinstance(n, NoteItem | Mapping))
        if "speakers_uncertain" in data:  # absent from sessions journalled before it existed: False
            updates["speakers_uncertain"] = bool(data["speakers_uncertain"])
        return dataclasses.replace(self, **updates)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Insights:
        return cls().merged(data or {})


def _note(item: NoteItem | Mapping[str, Any]) -> NoteItem:
    """A note as the stage made it, or as the journal kept it."""
    if isinstance(item, NoteItem):
        return item
    return NoteItem(
        str(item.get("kind", "")),
        str(item.get("text", "")),
        str(item.get("owner") or ""),
        str(item.get("due") or ""),
        tuple(int(i) for i in item.get("lines") or ()),
    )
