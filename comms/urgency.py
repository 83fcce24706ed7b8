"""Is a client's email urgent? Urgent words in English, Russian and Greek. Pure: no ORM, no clock.

Only the subject and the beginning of the new text count: a word deep in quoted history or a
signature ("we fix urgent issues 24/7") must not put every reply on the urgent clock.
"""

from __future__ import annotations

import re
import unicodedata

# How much of the new text is read: urgency is said up front.
TEXT_WINDOW = 500

# Written naturally (accents, capitals are fine): folded like the text before compiling.
# Each entry is a regex matched on whole words; `\w*` allows inflected endings.
URGENT_PATTERNS = (
    # English
    r"urgent\w*",
    r"asap",
    r"a\.s\.a\.p\.?",
    r"emergency",
    r"immediately",
    r"critical",
    r"right away",
    r"(?:web ?site|site|shop|store|server|checkout|email) (?:is |went |goes )?down",
    r"(?:web ?site|site|shop|store|server|checkout|email) (?:is not|isn't|is no longer) working",
    r"stopped working",
    r"(?:site|website|shop|checkout|server|email|page) (?:is )?broken",
    r"hacked",
    # Russian
    r"срочн\w*",
    r"горит",
    r"горят",
    r"не работа\w*",
    r"перестал\w* работать",
    r"сайт (?:упал|лежит)",
    r"(?:упал|лежит) сайт",
    r"немедленно",
    r"как можно скорее",
    r"авари\w*",
    r"взлома\w*",
    # Greek
    r"επειγ\w*",
    r"κατεπειγ\w*",
    r"άμεσα",
    r"άμεση",
    r"αμέσως",
    r"δεν λειτουργ\w*",
    r"έπεσε το site",
    r"έπεσε η σελίδα",
    r"έπεσε ο ιστότοπος",
)

# A negation just before the word turns it around: "not urgent", "не срочно", "δεν είναι επείγον".
NEGATIONS = ("not", "no", "nothing", "isn't", "isnt", "не", "нет", "ничего", "δεν", "όχι", "μη", "μην")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: casefold (ς → σ), strip combining marks (ά → α, й → и)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped)


_URGENT = re.compile(
    r"(?<!\w)(?:" + "|".join(fold(pattern) for pattern in URGENT_PATTERNS) + r")(?!\w)",
)
_NEGATED = re.compile(
    r"(?<![\w'])(?:" + "|".join(re.escape(fold(word)) for word in NEGATIONS) + r")(?![\w'])"
    r"(?:\s+(?:is|so|very|really|that|это|так|очень|ειναι|τοσο|πολυ))?\s*$"
)


def urgent_words(text: str) -> list[str]:
    """The urgent words found in ``text`` (folded), negated ones left out."""
    folded = " ".join(fold(text).split())
    found = []
    for match in _URGENT.finditer(folded):
        before = folded[max(0, match.start() - 30) : match.start()]
        if not _NEGATED.search(before):
            found.append(match.group())
    return found


def is_urgent(subject: str, text: str, *, flagged: bool = False) -> bool:
    """True when the sender flagged the mail or its subject or first lines say it is urgent."""
    if flagged:
        return True
    return bool(urgent_words(subject or "") or urgent_words((text or "")[:TEXT_WINDOW]))
