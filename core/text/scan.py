"""Token-level scanning of a tagged caption into pieces (the connective rules of events).

Word classes, the repair of verbs the small spaCy tagger reads as nouns, and the scan that
cuts a sentence at sequence connectives ("then", "after that", "followed by", commas and
"and" between verb phrases) and marks before/after clauses for reordering. The rules are
listed in :mod:`motionlex.core.text.events`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERB = set("VB VBZ VBD VBP VBG VBN MD".split())
_FINITE = set("VBZ VBD VBP MD".split())
_NP = set("DT PDT JJ JJR JJS NN NNS NNP NNPS PRP PRP$ CD POS HYPH AFX".split())
_NOUNISH = set("NN NNS NNP NNPS PRP".split())
_SEQ_ADVERBS = set(
    "then afterwards afterward finally lastly first firstly next subsequently thereafter".split()
)
_AFTER_OBJ = {"that", "this", "which", "wards"}
_DURATION = {"pause", "while", "moment", "second", "seconds", "bit", "break", "rest", "delay",
             "beat", "breath", "time"}
"""Nouns of "after a pause", "after a short while": a wait between events, not an event."""
_WHILE = {"while", "whilst", "when", "until", "till"}
_SIMULTANEOUS = re.compile(r"\b(at the same time|simultaneous(ly)?|meanwhile)\b", re.I)
_CONJ = {"and", "but", ","}
_SUBORDINATORS = _WHILE | set(
    "who that which as if like so because where though although whether how what".split()
)
_SENT_END = {".", "!", "?", ";"}
_SUBJECT_WORDS = set(
    "person persons human man woman someone somebody subject figure guy individual actor "
    "character he she they it being people boy girl child body".split()
)
# 3rd-person forms the small tagger often reads as plural nouns ("a person walks" -> NNS).
_VERBS_3SG = set(
    "walks waves runs jumps steps turns kicks moves dances sprints starts stumbles plays wipes "
    "kneels ducks bows boxes lifts picks points bumps crawls crouches lies stretches whirls "
    "catches swims stops sits stands squats punches throws raises lowers bends hops jogs spins "
    "claps falls goes does makes takes performs perfoms rotates leans climbs shakes swings slides "
    "skips marches limps strides circles balances pushes pulls grabs reaches touches tiptoes "
    "rises gets comes returns continues repeats tries looks drinks eats stomps waits rests "
    "dribbles stirs shuffles staggers sidesteps backs pauses avoids hesitates rolls trips "
    "slips lands bounces sways twists flips pivots dodges crosses recovers regains "
    "counterbalances compensates inspects evades ends begins drags taps stamps nods shrugs "
    "salutes knocks scratches tilts sneaks paces strolls".split()
)
_GAP_START = set("IN TO RB RBR RP CD DT JJ JJR".split())
_ING_NOUNS = set(
    "ceiling building railing evening morning during string spring swing bring sling pudding "
    "wedding clothing".split()
)


@dataclass
class _Tok:
    text: str
    ws: str
    low: str
    tag: str
    dep: str
    lemma: str


@dataclass
class _Piece:
    toks: list[_Tok]
    kind: str = "main"  # main | after | before | intro_after | intro_before | follow | follow_np
    group: int = -1


def _tokens(doc) -> list[_Tok]:
    toks = [_Tok(t.text, t.whitespace_, t.lower_, t.tag_, t.dep_, t.lemma_.lower()) for t in doc]
    for k, t in enumerate(toks):  # repair verbs the small tagger reads as nouns
        prev = toks[k - 1] if k else None
        if (
            t.low == "than"
            and prev is not None
            and prev.tag not in {"JJR", "RBR"}
            and prev.low not in {"more", "less", "rather", "other", "different"}
        ):
            t.low, t.tag = "then", "RB"  # a frequent typo in crowd-written captions
            continue
        if prev is None or t.tag in _VERB:
            continue
        if (prev.tag in {"RB"} or prev.low in _SEQ_ADVERBS) and k > 1 and (
                toks[k - 2].low in _SUBJECT_WORDS):
            prev = toks[k - 2]  # "a person slowly walks", "a person first kneels" (JJ)
        # "then", or another sequence adverb ("finally waves"; "and next waves", "and
        # afterwards waves", which the tagger reads as adjectives; not "the next steps")
        # starts a verb phrase as a subject does
        seq = prev.low == "then" or (
            prev.low in _SEQ_ADVERBS
            and (prev.tag == "RB" or (k > 1 and toks[k - 2].low in _CONJ | {"then"}))
            and not (k + 1 < len(toks) and toks[k + 1].tag in _FINITE)  # "next steps are"
        )
        after_subject = prev.low in _SUBJECT_WORDS or prev.low in _CONJ or seq
        strong = prev.low in _SUBJECT_WORDS or seq
        if (
            t.tag == "NNS"
            and t.low.endswith("s")
            and strong
            and prev.tag != "DT"
            or (t.tag in {"NNS", "NN"} and t.low in _VERBS_3SG and after_subject)
        ):
            t.tag = "VBZ"
        elif (
            t.tag in {"NN", "JJ"}
            and t.low.endswith("ing")
            and len(t.low) > 4
            and (after_subject or prev.low in {"before", "after"})  # "after clapping, ..."
            and not t.low.endswith("thing")
            and t.low not in _ING_NOUNS
        ):
            t.tag = "VBG"
    return toks


# ----------------------------------------------------------------------------- scanning
def _skip_adverbs(toks: list[_Tok], j: int) -> int:
    while j < len(toks) and (toks[j].tag in {"RB", "RBR", "RBS"} or toks[j].low in _SEQ_ADVERBS):
        j += 1
    return j


_BODY_PARTS = frozenset(
    "arm arms elbow elbows knee knees leg legs hand hands foot feet finger fingers palm palms "
    "wrist wrists shoulder shoulders head eyes back".split())
"""Body parts that open an absolute phrase after a comma ("elbows bent", "arms raised")."""


_HELD = frozenset("bent spread held outstretched stretched crossed folded clasped open "
                  "closed apart together straight up down out".split())
"""Words after a body part that say how it is held ("knees bent", "arms out")."""


def _absolute_phrase(toks: list[_Tok], j: int) -> bool:
    """A body part and how it is held at ``j``, then a comma, "then" or the end ("elbows
    bent", "his arms raised", "arms out"): the pose during an event, not an event, though
    the tagger reads "elbows" as a verb or "arms raised" as a clause."""
    k = j + (1 if j < len(toks) and toks[j].tag == "PRP$" else 0)
    if not (k + 1 < len(toks) and toks[k].low in _BODY_PARTS):
        return False
    held = toks[k + 1]
    if not (held.low in _HELD or (held.tag in {"VBN", "VBD"} and held.low.endswith("ed"))):
        return False
    end = k + 2
    return end == len(toks) or toks[end].tag in {",", "."} or toks[end].low in {"then", "and"}


def _clause_start(toks: list[_Tok], j: int) -> bool:
    """A subject noun phrase at ``j`` followed by a verb ("he turns", "the man sits")."""
    k = j
    while (
        k < len(toks)
        and k < j + 5
        and toks[k].tag in _NP
        and not (k > j and toks[k].tag in {"DT", "PDT", "PRP"})
    ):
        k += 1
    if k == j or (toks[k - 1].tag not in _NOUNISH and toks[k - 1].low not in _SUBJECT_WORDS):
        return False
    head = toks[k - 1]
    if head.dep not in {"nsubj", "nsubjpass"} and head.low not in _SUBJECT_WORDS:
        return False
    k = _skip_adverbs(toks, k)
    return k < len(toks) and (toks[k].tag in _FINITE or toks[k].low in {"is", "was"})


def _duration_end(toks: list[_Tok], j: int) -> int | None:
    """End (exclusive) of a duration phrase at ``j`` ("a pause", "a few seconds", "a short
    while"), else None."""
    k = j
    while k < len(toks) and k < j + 4 and toks[k].tag in {"DT", "CD", "JJ", "RB"} \
            and toks[k].low not in _DURATION:
        k += 1
    if k > j and k < len(toks) and toks[k].low in _DURATION and (
            toks[k].tag.startswith("NN") or toks[k].low == "while"):  # "a while": IN at times
        if k + 1 < len(toks) and toks[k + 1].tag in {"VBG", "NN", "NNS"}:
            return None  # "after a while jumping", "after a time step": not a plain wait
        return k + 1
    return None


def _verb_start(toks: list[_Tok], j: int) -> str | None:
    """Tag of the verb phrase starting at ``j`` (after adverbs), 'CL' for a clause, else None."""
    start, j = j, _skip_adverbs(toks, j)
    if j >= len(toks):
        return None
    if toks[j].tag in _FINITE or toks[j].tag in {"VB", "VBG"}:
        return toks[j].tag
    if j == start and (
        toks[j].tag == "IN"
        and toks[j].low not in _WHILE | {"before", "after"}
        or (toks[j].low == "after" and j + 1 < len(toks) and toks[j + 1].tag in {"DT", "CD"}
            and _duration_end(toks, j + 1) is None)
    ):
        k = j + 1  # a fronted phrase: "and after a few steps turns", "and with a hop lands"
        while k < len(toks) and k < j + 6 and toks[k].tag in _NP - {"PRP"}:
            k += 1
        if k > j + 1 and k < len(toks) and toks[k - 1].tag in _NOUNISH:
            if toks[k].tag in _FINITE | {"VB"}:
                return toks[k].tag
            if _clause_start(toks, k):  # "and after two steps he turns"
                return "CL"
    return "CL" if _clause_start(toks, j) else None


def _content(toks: list[_Tok]) -> bool:
    return any(
        t.low not in _CONJ and t.low not in _SEQ_ADVERBS and t.tag not in {",", "."} for t in toks
    )


def _scan(toks: list[_Tok]) -> list[_Piece]:
    """Cut one sentence into pieces at connectives; mark before/after clauses."""
    pieces: list[_Piece] = []
    cur: list[_Tok] = []
    kind, group, n_groups = "main", -1, 0
    sub_tag: str | None = None  # head tag of the open before/after clause
    in_while = has_inf = False
    style: str | None = None  # tag of the sentence's first verb (VBG for progressive)

    def cut(next_kind: str) -> None:
        nonlocal cur, kind, group, n_groups, in_while, has_inf
        if _content(cur):
            pieces.append(_Piece(cur, kind, group))
        cur, in_while, has_inf = [], False, False
        if next_kind in {"main", "follow_np"}:
            group = -1
        elif next_kind != kind:  # a new before/after/follow clause
            n_groups += 1
            group = n_groups
        kind = next_kind

    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        low = t.low
        if style is None and t.tag in _VERB:
            nxt = toks[_skip_adverbs(toks, i + 1)] if _skip_adverbs(toks, i + 1) < n else None
            style = "VBG" if (t.lemma == "be" and nxt is not None and nxt.tag == "VBG") else t.tag
        started = _content(cur)
        if low in _WHILE and t.tag in {"IN", "WRB"}:
            in_while = True
        if low == "to" and i + 1 < n and toks[i + 1].tag == "VB":
            has_inf = True
        # strong connectives: then / after that / afterwards + verb / followed by
        has_verb = any(c.tag in _VERB for c in cur)
        after_aux = bool(cur) and (
            cur[-1].tag == "MD"
            or cur[-1].lemma in {"be", "have"}
            or (
                not has_verb
                and (cur[-1].dep in {"nsubj", "nsubjpass"} or cur[-1].low in _SUBJECT_WORDS)
            )
        )  # "is then", "he then"
        wait = _duration_end(toks, i + 1) if low == "after" and i + 1 < n else None
        if (
            started
            and not after_aux
            and (
                low == "then"
                or (low == "after" and i + 1 < n and toks[i + 1].low in _AFTER_OBJ and i + 2 < n)
                or (wait is not None and wait < n and _verb_start(
                    toks, wait + (toks[wait].low == ",")) is not None)
            )
        ):
            step = 1 if low == "then" else 2 if wait is None else wait - i
            cut("main")  # "then", "after that", "after a pause" + a verb: the next event
            i += step
            continue
        if (
            started
            and low in {"afterwards", "afterward", "thereafter", "subsequently"}
            and _verb_start(toks, i + 1)
        ):
            cut("main")
            i += 1
            continue
        if started and low == "followed" and i + 1 < n and toks[i + 1].low == "by":
            j = _skip_adverbs(toks, i + 2)
            cut("follow" if j < n and toks[j].tag == "VBG" else "follow_np")
            i += 2
            continue
        if low in {"before", "after"} and t.tag == "IN" and i + 1 < n \
                and _duration_end(toks, i + 1) is None:  # "after a pause" is no event
            vs = _verb_start(toks, i + 1)
            if vs in {"VBG", "CL"}:
                if started:
                    cut(low)
                else:
                    kind, n_groups = f"intro_{low}", n_groups + 1
                    group = n_groups
                sub_tag = vs
                i += 1
                continue
        # "walks forward takes a turn": a second finite verb with no connective
        if (
            t.tag == "VBZ"
            and t.lemma not in {"be", "have"}
            and cur
            and has_verb
            and t.dep in {"ROOT", "conj", "dep", "parataxis"}
            and cur[-1].tag in {"RB", "RP", "NN", "NNS", "CD", "JJ"}
            and cur[-1].dep not in {"nsubj", "nsubjpass"}
            and not any(c.low in _SUBORDINATORS for c in cur)
            and sum(c.tag in _FINITE for c in cur) == 1
        ):
            cut("main")
            continue
        # end of an intro clause at the main clause's subject ("after waving the man turns")
        if kind.startswith("intro_") and started and _clause_start(toks, i) and t.tag != ",":
            cut("main")
            continue
        if low in _CONJ and started:
            j = i + 1
            while j < n and toks[j].low in _CONJ:
                j += 1
            if j < n and (
                toks[j].low == "then"
                or (toks[j].low == "after" and j + 1 < n and toks[j + 1].low in _AFTER_OBJ)
            ):
                cut("main")
                i = j + (1 if toks[j].low == "then" else 2)
                continue
            vs = _verb_start(toks, j)
            comma_only = all(toks[k].low == "," for k in range(i, j))
            split = vs is not None and (has_verb or bool(pieces))  # not "Multiple times, a man"
            if vs == "VBG" and in_while:
                split = False
            elif vs == "VBG" and comma_only and style != "VBG" and not kind.startswith("intro_"):
                split, in_while = False, True  # participial modifier: "walks, turning left"
            if vs == "VB" and has_inf:
                split = False
            if comma_only and _absolute_phrase(toks, j):
                split = False  # "raises both hands, elbows bent, then ...": no event
            if comma_only and cur[0].low in _WHILE and vs == "CL":
                split = False  # "while walking, a human is pushed": one event
            if kind.startswith("intro_") and comma_only and vs is None:
                split = True  # "after X, Y" where Y's subject the tagger missed
            if split and cur[-1].tag in {"RB", "RBR", "RBS"} and not any(
                    c.tag in _VERB and c.lemma not in {"be", "have", "do"} for c in cur):
                split = False  # "is slowly and casually walking": adverbs joined, one verb
            if split:
                stay = kind != "main" and vs == "VBG" and sub_tag == "VBG"
                if kind.startswith("intro_") and comma_only:
                    stay = False
                cut(kind if stay else "main")
                i = j
                continue
        cur.append(t)
        i += 1
    cut("main")
    return pieces


def _reorder(pieces: list[_Piece]) -> list[_Piece]:
    """Apply before/after reversals: 'Y after X' -> X, Y; 'before X, Y' -> Y, X."""
    out = list(pieces)
    k = 0
    while k < len(out):
        p = out[k]
        end = k
        while end + 1 < len(out) and out[end + 1].group == p.group and p.group >= 0:
            end += 1
        if p.kind == "after" and k > 0:
            out = out[: k - 1] + out[k : end + 1] + [out[k - 1]] + out[end + 1 :]
        elif p.kind == "intro_before" and end + 1 < len(out):
            out = out[:k] + [out[end + 1]] + out[k : end + 1] + out[end + 2 :]
        k = end + 1
    return out



def _spaced(tok: _Tok) -> _Tok:
    return _Tok(tok.text, " ", tok.low, tok.tag, tok.dep, tok.lemma)


def _front_parenthetical(toks: list[_Tok]) -> list[_Tok]:
    """A phrase set off by commas between a verbless subject and its finite verb: a
    before/after gerund clause moves in front ("a person, after walking forward, sits down"
    read as "after walking forward, a person sits down", where :func:`_scan` reads an intro
    clause); any other phrase without a finite verb loses its commas ("a person, slowly,
    walks", "a person, after a pause, sits down"). In place, the subject alone became an
    event. Other sentences come back unchanged."""
    if len(toks) < 5 or toks[0].tag in _VERB:
        return toks
    k = next((i for i, t in enumerate(toks) if t.text == ","), None)
    if k is None or k == 0 or any(t.tag in _VERB for t in toks[:k]) or k + 2 >= len(toks):
        return toks
    if not any(t.dep in {"nsubj", "nsubjpass"} or t.low in _SUBJECT_WORDS for t in toks[:k]):
        return toks
    m = next((i for i in range(k + 2, len(toks)) if toks[i].text == ","), None)
    if m is None or m == len(toks) - 1:
        return toks
    j = _skip_adverbs(toks, m + 1)
    if j >= len(toks) or toks[j].tag not in _FINITE:
        return toks
    subject, inner = toks[:k], toks[k + 1:m]
    subject[-1] = _spaced(subject[-1])
    if inner[0].low in {"after", "before"} and _verb_start(toks, k + 2) == "VBG":
        return inner + [toks[m]] + subject + toks[m + 1:]
    if any(t.tag in _FINITE for t in inner):
        return toks
    return subject + inner[:-1] + [_spaced(inner[-1])] + toks[m + 1:]
