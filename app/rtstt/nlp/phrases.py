"""Noun phrases for key phrases, with a compact rule-based part-of-speech tagger (no model, no data files).

Meeting speech is simple enough for word lists plus a few context rules: function words, filler and bare
verbs break a phrase; a phrase is (adjective | noun)* noun, at most three words; words that are both a noun
and a verb ("release", "plan", "test") are nouns after a determiner or adjective and verbs after "to", a
modal or a subject pronoun; -ing and -ed forms are verbs unless a determiner or a preposition makes them
nominal ("the planned release", "help with testing"). Variants of one phrase ("release" / "new release",
"tests" / "test") are grouped under one surface form.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

MAX_WORDS = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _inflect(base: str) -> set[str]:
    """A verb or adjective base with its regular -s, -ed, -ing forms (close enough for lookups)."""
    forms = {base}
    if base.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(base + "es")
    elif base.endswith("y") and base[-2:-1] not in "aeiou":
        forms.add(base[:-1] + "ies")
    else:
        forms.add(base + "s")
    if base.endswith("e"):
        forms |= {base + "d", base[:-1] + "ing"}
    elif base.endswith("y") and base[-2:-1] not in "aeiou":
        forms |= {base[:-1] + "ied", base + "ing"}
    else:
        forms |= {base + "ed", base + "ing"}
        if len(base) <= 4 and re.fullmatch(r".*[^aeiou][aeiou][bdgklmnprt]", base):
            forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}
    return forms


def _compare(base: str) -> set[str]:
    """An adjective with its -er / -est forms ("slow" -> "slower", "big" -> "bigger")."""
    if base.endswith("e"):
        return {base + "r", base + "st"}
    if base.endswith("y"):
        return {base[:-1] + "ier", base[:-1] + "iest"}
    if re.fullmatch(r".*[^aeiou][aeiou][bdgmnpt]", base):
        return {base + base[-1] + "er", base + base[-1] + "est"}
    return {base + "er", base + "est"}


# Function words: determiners, pronouns, prepositions, conjunctions, auxiliaries, wh-words, common adverbs.
DETERMINERS = _words(
    "a an the this that these those my your his her its our their some any no every each all both either "
    "neither another such what which whose whatever"
)
SUBJECTS = _words("i you he she we they it who whoever which that")
OBJECTS = DETERMINERS | _words("me you him her it us them myself yourself ourselves themselves itself")
MODALS = _words(
    "to will would shall should can could may might must ought let's lets please don't doesn't didn't won't "
    "can't cannot couldn't wouldn't shouldn't i'll we'll you'll they'll i'd we'd you'd they'd"
)
BE = _words(
    "am is are was were be been being i'm we're you're they're he's she's it's that's there's "
    "isn't aren't wasn't weren't keep keeps kept start started stop stopped"
)
AUX = BE | MODALS | _words("do does did has have had having done")
VERB_BEFORE = MODALS | SUBJECTS | AUX  # "we release", "to release", "will release"
PREPOSITIONS = _words(
    "of in on at for from by with without about into onto over under after before between through during "
    "against among around across along behind beyond within upon via per off out up down like than as"
)
FUNCTION = (
    DETERMINERS
    | SUBJECTS
    | OBJECTS
    | AUX
    | PREPOSITIONS
    | _words(
        "mine yours ours theirs one ones someone anyone everyone everybody nobody somebody anybody something "
        "anything everything nothing who whom where when why how whether if because although though while "
        "since unless until till so and or but nor yet not there here then now also just only very too even "
        "still already again ever never always often sometimes usually maybe perhaps really quite rather "
        "pretty much more most less least many few several enough else instead anyway anyways actually "
        "basically probably definitely certainly obviously literally exactly absolutely totally hopefully "
        "soon later today tonight tomorrow yesterday ago once twice away back together around almost "
        "otherwise however therefore thus hereby herein thereof whereas wherever whenever including above below "
        "i'm i've we've you've they've what's who's here's where's let let's gonna wanna gotta whoever ahead"
    )
)
ADVERBS = _words(
    "again also just only very too even still already ever never always often sometimes usually maybe perhaps "
    "really quite rather pretty enough instead anyway actually basically probably definitely certainly soon "
    "later today tonight tomorrow yesterday ago once twice away back together almost now then here there "
    "out up down off over ahead especially honestly"
)
PARTICLES = _words("again out up down off over back away ahead together around")  # "check again", "go ahead"
# Filler: never part of a key phrase.
FILLER = _words(
    "yeah yes yep yup no nope okay ok oh ah uh um umm hmm mm huh wow hey hi hello bye goodbye thanks thank "
    "please sure alright right well fine cool great awesome nice sorry excuse welcome "
    "thing things stuff lot lots kind kinds sort sorts bit bits way ways guy guys folks everyone people "
    "sense fact matter idea question questions point points case cases part example deal chance "
    "etc et al"
)
HEDGES = _words("kind sort bit lot lots couple")
# Generic nouns: real nouns, but not a topic on their own ("next week", "two hours", "the next step").
GENERIC = _words(
    "time times moment moments second seconds minute minutes hour hours day days week weeks month months "
    "year years today morning mornings afternoon afternoons evening evenings night nights weekend weekends "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december end beginning start step steps number numbers "
    "version versions item items person persons place places meeting meetings everyone anybody "
    "problem problems issue issues work help lead"
)
NUMBER_WORDS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion half dozen couple"
)
# Adjectives that add nothing to a topic: dropped at the start of a phrase ("good morning", "the next step").
WEAK_ADJECTIVES = _words(
    "good great nice bad best better worse worst big bigger small little large huge tiny whole entire real "
    "actual same different other certain particular general specific next last first second third fourth "
    "fifth final previous recent several various own sure able quick easy hard important interesting "
    "possible impossible available necessary ready true false wrong right fine cool awesome amazing happy "
    "glad long short high low full simple clear early late latest major minor overall additional extra "
    "further new key main usual typical whole lovely fantastic perfect excellent terrible horrible huge "
    "likely unlikely obvious quick slight serious following"
)
_CONTENT_ADJECTIVE_BASES = _words(
    "old slow fast cheap safe strong weak heavy light dark quiet busy open empty broken missing stable "
    "unstable positive negative public private internal external technical financial legal social digital "
    "local global remote online offline manual automatic free critical urgent common complete correct "
    "difficult similar single double older young fresh raw clean dirty warm cold hot cool deep wide narrow "
    "rich poor smart basic advanced live native dedicated detailed limited related automated distributed "
    "integrated interested excited tired complicated outdated daily weekly monthly yearly quarterly hourly "
    "nightly friendly costly timely elderly annual visual mental physical medical chemical electrical "
    "electronic economic environmental flaky buggy noisy messy risky tricky lucky happy"
)
ADJECTIVES = (
    _CONTENT_ADJECTIVE_BASES
    | WEAK_ADJECTIVES
    | {
        f
        for b in _words(
            "old slow fast cheap safe strong weak heavy light dark quiet busy young fresh clean warm cold hot deep "
            "wide big small large long short high low easy hard quick simple late early nice new great good close "
            "near far"
        )
        for f in _compare(b)
    }
)
_IRREGULAR_VERBS = _words(
    "went gone goes going came got gotten made took taken gave given said told thought knew known saw seen "
    "felt became kept left meant began begun brought bought found heard held sent stood understood wrote "
    "written spoke spoken spent met sold lost chose chosen ran won paid caught taught fought forgot forgotten "
    "grew grown threw thrown drove driven broke ate eaten fell fallen hid hidden led rode rose shook shot "
    "sang sat slept stole struck swam wore woke dealt hung spun stuck swung dug bent lent built fed fled hurt "
    "quit shut split spread sought wept slid withdrew rewrote undid upheld overtook mistook"
)
_VERB_BASES = (
    "go come get make take give say tell think know see want seem feel become keep mean leave begin bring "
    "buy find hear hold send sit stand understand write speak spend meet sell lose agree allow appear ask "
    "believe decide expect finish forget happen hope include join learn mention prefer provide reach "
    "remember require suggest wait wonder worry guess assume consider continue create discuss explain figure "
    "handle manage improve reduce add apply belong choose deliver describe develop enjoy ensure follow grant "
    "hire imagine involve look love obtain pick prepare publish receive recommend remove replace respond "
    "share show solve stop sound stay talk thank touch turn wish try like do does put let become happen "
    "own tend manage realize realise notice mind bother care promise plan fix move check help start need use "
    "love hate permit modify distribute sublicense furnish associate obtain merge finish make sure agree "
    "confirm mention announce complete cover ask answer attend arrive happen seem sound include "
    "deploy migrate implement upload download install configure set get go come want"
)
VERBS = _IRREGULAR_VERBS | {f for b in _VERB_BASES.split() for f in _inflect(b)}
# Both a noun and a verb: the context decides ("the release" / "we release").
NOUN_VERBS = {
    f
    for b in _words(
        "plan work release test help check start end load need use copy lead move update fix report call "
        "review change issue design support result answer question demo run build launch push merge ship sign "
        "schedule cost focus record process request order offer list set file note book email message text "
        "share search walk talk date price rate control access increase decrease drop cut track display delay "
        "approach contact document estimate budget draft post upload download log backup rollout setup "
        "feedback deal notice limit point cover structure target benefit experience"
    )
    for f in _inflect(b)
    if f == b or not f.endswith(("ed", "ing"))
}
ING_NOUNS = _words(
    "meeting meetings morning mornings evening evenings thing things building buildings setting settings "
    "training funding marketing pricing billing spring string strings ring king wing ceiling beginning "
    "planning testing logging booking parking shipping housing learning reading writing painting drawing "
    "warning warnings opening offering spending wedding wording earnings savings findings listing posting "
    "recording recordings routing caching scaling streaming tracking onboarding networking accounting "
    "engineering processing monitoring hosting licensing branding staffing budgeting forecasting hiring "
    "packaging labeling filing rating ratings heading headings feeling feelings understanding during "
    "nothing something anything everything"
)
ED_NOUNS = _words("hundred speed seed feed bed red shed sled weed deed reed embed bleed breed greed creed")
LY_NOT_ADVERBS = _words(
    "family supply reply assembly anomaly italy july butterfly fly ally rally jelly belly bully monopoly "
    "poly apply rely comply multiply imply reply early weekly daily monthly yearly quarterly hourly nightly "
    "friendly costly timely elderly likely lovely ugly silly holy lonely deadly only"
)
ADJ_SUFFIXES = ("ous", "ful", "less", "able", "ible", "ical", "ional", "ish", "tial", "cial")
ADJ_SUFFIX_NOUNS = _words(
    "table tables cable cables timetable variable variables deliverable deliverables vegetable vegetables "
    "constable turntable fish dish wish english polish spanish potential credential credentials official officials"
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’\-][A-Za-z0-9]+)*|\d[\d.,:%]*|[^\w\s]")
_CONTRACTIONS = ("n't", "'ll", "'re", "'ve", "'d", "'m")


def lemma(word: str) -> str:
    """Singular of a plural noun ("tests" -> "test", "copies" -> "copy"), good enough to group variants."""
    irregular = {"people": "person", "children": "child", "men": "man", "women": "woman", "data": "data"}
    if word in irregular:
        return irregular[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


@dataclass
class Token:
    text: str  # lower case
    capital: bool  # capitalised and not the first word of a sentence: a name
    tag: str = ""  # NOUN GEN ADJ WEAK VERB FUNC NUM PUNCT


def _base_tag(word: str) -> str:
    if not re.match(r"[a-z]", word):
        return "NUM" if word[0].isdigit() else "PUNCT"
    if word in FILLER:
        return "FILLER"
    if word in FUNCTION:
        return "FUNC"
    if "'" in word:
        return "FUNC" if word.endswith(_CONTRACTIONS) else "POSS"
    if word in NUMBER_WORDS:
        return "NUM"
    if word in GENERIC:
        return "GEN"
    if word in WEAK_ADJECTIVES:
        return "WEAK"
    if word in ADJECTIVES:
        return "ADJ"
    if word in NOUN_VERBS:
        return "NV"
    if word in ING_NOUNS or word in ED_NOUNS:
        return "NOUN"
    if word in VERBS:
        return "ING" if word.endswith("ing") else "ED" if word.endswith("ed") else "VERB"
    if word.endswith("ing") and len(word) > 5:
        return "ING"
    if word.endswith("ed") and len(word) > 4 and not word.endswith("eed"):
        return "ED"
    if word.endswith("ly") and word not in LY_NOT_ADVERBS:
        return "FUNC"  # an adverb
    if word.endswith(ADJ_SUFFIXES) and word not in ADJ_SUFFIX_NOUNS:
        return "ADJ"
    return "NOUN"


def _is_adverb(token: Token) -> bool:
    return token.text in ADVERBS or (token.tag == "FUNC" and token.text.endswith("ly"))


def tag(text: str) -> list[Token]:
    """Tokens of `text`, each with its part of speech (NOUN, GEN, ADJ, WEAK, VERB, FUNC, NUM, PUNCT)."""
    tokens: list[Token] = []
    sentence_start = True
    for raw in _TOKEN.findall(text.replace("’", "'")):
        word = raw.lower()
        tokens.append(Token(word, raw[0].isupper() and not sentence_start and word != "i", _base_tag(word)))
        if word == "of" and len(tokens) > 1 and tokens[-2].text in HEDGES:
            tokens[-1].tag = "FILLER"  # "kind of working"
        sentence_start = raw in '.?!:;"' or (sentence_start and not raw[0].isalnum())
    for i, token in enumerate(tokens):
        before = [t for t in tokens[max(0, i - 3) : i] if not _is_adverb(t)]  # "can you also check"
        prev = before[-1] if before else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        determined = prev is not None and (prev.text in DETERMINERS or prev.tag == "POSS")
        after_noun_context = determined or (prev is not None and prev.tag in ("ADJ", "WEAK", "NOUN", "GEN"))
        verb_context = prev is not None and prev.text in VERB_BEFORE
        object_next = nxt is not None and nxt.text in OBJECTS
        adverb_next = nxt is not None and (nxt.text in PARTICLES or (nxt.text.endswith("er") and nxt.tag == "ADJ"))
        if token.capital and token.tag in ("NOUN", "NV", "VERB", "ING", "ED", "ADJ", "WEAK"):
            token.tag = "NOUN"  # a name or a product said mid-sentence
        elif token.tag == "NV":
            inflected = token.text.endswith("s") and prev is not None and prev.tag in ("NOUN", "GEN")
            modifier_next = nxt is not None and (
                nxt.text in DETERMINERS or nxt.tag in ("ADJ", "WEAK", "NOUN", "GEN", "NV", "ED", "ING")
            )
            if determined:
                token.tag = "NOUN"
            elif verb_context or adverb_next or (inflected and modifier_next):  # "the page needs work"
                token.tag = "VERB"
            elif after_noun_context:
                token.tag = "NOUN"
            else:
                token.tag = "VERB" if object_next else "NOUN"
        elif token.tag == "ING":
            verbal = object_next or (prev is not None and (verb_context or prev.tag in ("VERB", "FILLER")))
            token.tag = "NOUN" if determined or not verbal else "VERB"
        elif token.tag == "ED":
            modifier = after_noun_context and nxt is not None and nxt.tag in ("NOUN", "NV", "GEN")
            token.tag = "ADJ" if modifier else "VERB"
    return tokens


def _chunks(tokens: list[Token]) -> list[list[Token]]:
    """Runs of (adjective)* (noun)+, split where a noun is followed by an adjective."""
    chunks: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        if token.tag in ("ADJ", "WEAK"):
            if current and current[-1].tag in ("NOUN", "GEN"):
                chunks.append(current)
                current = []
            current.append(token)
        elif token.tag in ("NOUN", "GEN"):
            current.append(token)
        else:
            if current:
                chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def _phrase(chunk: list[Token]) -> list[Token] | None:
    """The key-phrase form of a chunk: weak adjectives and generic nouns dropped from its start, at most
    three words, ending in a noun, not only generic words."""
    while chunk and chunk[-1].tag not in ("NOUN", "GEN"):
        chunk = chunk[:-1]
    while chunk and chunk[0].tag in ("WEAK", "GEN") and any(t.tag == "NOUN" for t in chunk[1:]):
        chunk = chunk[1:]
    while chunk and chunk[0].tag == "WEAK":
        chunk = chunk[1:]
    chunk = chunk[-MAX_WORDS:]
    if not chunk or all(t.tag == "GEN" for t in chunk) or all(t.tag in ("ADJ", "WEAK") for t in chunk):
        return None
    if len(chunk[-1].text) < 3 or not re.search(r"[a-z]{2}", chunk[-1].text):
        return None
    return chunk


@dataclass
class Phrase:
    """One key-phrase candidate: its variants ("release", "beta release") under one surface form."""

    key: tuple[str, ...]  # lemmas, the longest variant
    forms: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.forms.values())

    @property
    def text(self) -> str:
        """The most frequent surface form; on a tie the longer (more informative) one."""
        return max(self.forms.items(), key=lambda kv: (kv[1], len(kv[0].split()), kv[0]))[0]

    @property
    def lemmas(self) -> frozenset[str]:
        return frozenset(self.key)


def noun_phrases(text: str) -> list[Phrase]:
    """The noun phrases of `text` with their variants merged, in order of first mention."""
    groups: dict[tuple[str, ...], Phrase] = {}
    for chunk in _chunks(tag(text)):
        phrase = _phrase(chunk)
        if phrase is None:
            continue
        key = tuple(lemma(t.text) for t in phrase)
        groups.setdefault(key, Phrase(key)).forms[" ".join(t.text for t in phrase)] += 1
    # A phrase that ends another one ("release" in "new release", "page" in "search page") is a variant of
    # it when it ends exactly one longer phrase; ending several ("page": "search page", "login page"), it
    # stays a topic of its own.
    by_head: dict[str, list[tuple[str, ...]]] = {}
    for key in groups:
        by_head.setdefault(key[-1], []).append(key)
    for key in sorted(groups, key=len, reverse=True):
        longer = [k for k in by_head[key[-1]] if k in groups and len(k) > len(key) and k[-len(key) :] == key]
        if len(longer) == 1:
            target = groups[longer[0]]
            target.forms.update(groups.pop(key).forms)
    return list(groups.values())


def near_duplicates(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two phrases say the same thing when the words of one are all in the other ("performance" /
    "performance work")."""
    return a <= b or b <= a
