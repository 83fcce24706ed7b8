"""The email coach (R3, R4, R6): pure checks of a draft before it leaves, in English, Russian and Greek.

``review(subject, body, requires_action)`` returns findings the compose page shows beside the form:

``too_long`` (warn)
    More than ``MAX_WORDS`` words or more than ``MAX_PARAGRAPHS`` paragraphs (blocks separated by a
    blank line). Offers the split when ``split_by_topic`` finds several topics.
``several_topics`` (warn)
    ``split_by_topic`` finds two or more topics. A new topic starts at
      * a paragraph, list item or sentence opening with a topic shift ("Also,", "Another thing",
        "Кроме того", "Ещё", "Επίσης"… see ``coach_words.TOPIC_SHIFTS``);
      * a long list item (``MIN_TOPIC_WORDS`` words or more: a subject of its own, not a short bullet);
      * the paragraph after a question, when questions stand in two or more paragraphs (several
        questions apart are taken as questions about different subjects).
    Topics shorter than ``MIN_TOPIC_WORDS`` words are asides and stay with their neighbour.
``no_greeting`` / ``no_thanks`` (info)
    No greeting on the first line; no thanks anywhere (subject included).
``no_next_steps`` (warn)
    ``requires_action`` and no line starting with a Next steps heading (R3).
``heat`` (warn)
    Profanity, blame phrases, "!!!" or "?!", or shouting (see ``_shouted_words``): proposes a cool-off (R6).
``jargon`` (info)
    Technical words with plain replacements, in the language of the email.

Lines starting with ">" (quoted history) are ignored. Word matching is Unicode-aware: whole words or
stems, case-insensitive, Greek accents ignored, Russian "ё" = "е"; every list is one compiled regex.
Messages use Django's ``gettext`` (the freelancer's language), nothing touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comms import coach_words

MAX_WORDS = 200
"""More words than this is too long to read in one go on a phone."""
MAX_PARAGRAPHS = 8
MIN_TOPIC_WORDS = 12
"""A topic needs this many words to deserve its own email; shorter parts are asides."""
SHORT_ACRONYM_LENGTH = 4
"""Capitalised words up to this length (API, DNS, HTML, ASAP) are acronyms, not shouting."""
SHOUTING_RATIO = 0.3
"""Shouted letters over all letters from which a single shouted word already counts as heat."""
CLOSING_MAX_WORDS = 12
"""A trailing paragraph this short with thanks or short lines ("Best,\nSam") is the sign-off."""
GREETING_MAX_WORDS = 8
"""A first line this short with a greeting is the greeting; a longer one is content that starts kindly."""

WARN = "warn"
INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    suggestion: str
    details: tuple[Any, ...] = field(default=())


# --- Matching ----------------------------------------------------------------------------------


def _is_greek(char: str) -> bool:
    return "\u0370" <= char <= "\u03ff" or "\u1f00" <= char <= "\u1fff"


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _accent_table() -> dict[int, str]:
    """Greek letters with accents to their bare letter, and Russian "ё" to "е" (one character each)."""
    table = {ord("ё"): "е"}
    for code in (*range(0x0370, 0x0400), *range(0x1F00, 0x2000)):
        bare = _strip_marks(chr(code))
        if len(bare) == 1 and bare != chr(code):
            table[code] = bare
    return table


_ACCENTS = _accent_table()


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    folded = char.casefold()
    return (_strip_marks(folded) if _is_greek(char) else folded).translate(_ACCENTS)


@dataclass(frozen=True)
class _Folded:
    """A text folded for matching, with the position in the original of every folded character."""

    original: str
    text: str
    origin: Sequence[int]

    def span(self, start: int, end: int) -> str:
        """The original text behind the folded slice ``[start, end)``."""
        return self.original[self.origin[start] : self.origin[end - 1] + 1]

    @cached_property
    def word_starts(self) -> list[int]:
        return [match.start() for match in _WORD.finditer(self.text)]


def _fold(text: str) -> _Folded:
    """Case-folded, Greek accents and "ё" removed; the positions map back to the (NFC) original."""
    text = unicodedata.normalize("NFC", text)
    folded = text.casefold()
    if len(folded) == len(text):  # every character folded to one: positions are unchanged
        return _Folded(text, folded.translate(_ACCENTS), range(len(text)))
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return _Folded(text, "".join(pieces), tuple(origin))


def _fold_text(text: str) -> str:
    return _fold(text).text


def _entry_pattern(entry: str) -> str:
    """Regex for one list entry: whole words, or a stem when it ends with ``*`` (see ``coach_words``).

    The pattern does not check the start of the word: callers match at word starts only.
    """
    folded = _fold_text(entry)
    is_stem = folded.endswith("*")
    words = folded.rstrip("*").split()
    body = r"\s+".join(re.escape(word) for word in words)
    return body + (r"\w*" if is_stem else r"(?!\w)")


class _WordList:
    """A word list compiled into one small alternation per first letter, tried at word starts only.

    Dispatching on the first letter keeps the cost per word to a dictionary look-up and a few short
    alternatives, whatever the length of the list. Longer entries win over their prefixes.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(entries)
        by_letter: dict[str, list[int]] = {}
        for index, entry in enumerate(self.entries):
            by_letter.setdefault(_fold_text(entry)[0], []).append(index)
        self.regexes = {
            letter: re.compile(
                "|".join(
                    f"(?P<e{i}>{_entry_pattern(self.entries[i])})"
                    for i in sorted(indexes, key=lambda i: -len(self.entries[i]))
                )
            )
            for letter, indexes in by_letter.items()
        }

    def matches(self, folded: _Folded) -> Iterator[tuple[int, int, int]]:
        """Yield ``(entry index, start, end)`` of every match in the folded text, without overlaps."""
        text, regexes, taken_until = folded.text, self.regexes, 0
        for start in folded.word_starts:
            if start < taken_until or (regex := regexes.get(text[start])) is None:
                continue
            if match := regex.match(text, start):
                taken_until = match.end()
                yield int(match.lastgroup[1:]), start, match.end()

    def search(self, text: str | _Folded) -> bool:
        folded = text if isinstance(text, _Folded) else _fold(text)
        return next(self.matches(folded), None) is not None


_GREETINGS = _WordList(coach_words.GREETINGS)
_THANKS = _WordList(coach_words.THANKS)
_BLAME = _WordList(coach_words.BLAME)
_NOT_BLAME = _WordList(coach_words.NOT_BLAME)
_PROFANITY = _WordList(coach_words.PROFANITY)
_JARGON = _WordList(entry for entry, _en, _ru in coach_words.JARGON)
_TOPIC_SHIFT_START = re.compile(
    r"^\W*(?<!\w)(?:"
    + "|".join(sorted((_entry_pattern(e) for e in coach_words.TOPIC_SHIFTS), key=len, reverse=True))
    + ")"
)
_NEXT_STEPS_HEADING = re.compile(
    r"^[\s*_#]*(?<!\w)(?:"
    + "|".join(_entry_pattern(h) for h in coach_words.NEXT_STEPS_HEADINGS)
    + r")[\s*_]*(?:[:—–-]|$)"
)
_HEATED_PUNCTUATION = re.compile(r"!{3,}|[!?]*(?:\?!|!\?)[!?]*")
_LETTER_WORD = re.compile(r"[^\W\d_]+")
_WORD = re.compile(r"\w+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•–])\s+")
_SENTENCE_START = re.compile(r"(?<=[.!?…])(\s+)(?=\S)")
_QUOTED_LINE = re.compile(r"^[ \t]*>.*(?:\n|$)", re.MULTILINE)


def is_next_steps_heading(line: str) -> bool:
    """Whether ``line`` opens a Next steps block ("Next steps:", "**Следующие шаги**", "Επόμενα βήματα:")."""
    return _NEXT_STEPS_HEADING.match(_fold_text(line)) is not None


def has_next_steps(body: str) -> bool:
    return any(is_next_steps_heading(line) for line in body.splitlines())


def detect_language(text: str) -> str:
    """``"ru"``, ``"el"`` or ``"en"``: the script most of the letters are written in."""
    cyrillic = greek = latin = 0
    for char in text:
        if not char.isalpha():
            continue
        if "\u0400" <= char <= "\u04ff":
            cyrillic += 1
        elif _is_greek(char):
            greek += 1
        else:
            latin += 1
    best = max(latin, cyrillic, greek)
    if best == 0 or best == latin:
        return "en"
    return "ru" if best == cyrillic else "el"


def _own_text(body: str) -> str:
    """The body without quoted history (lines starting with ">")."""
    return _QUOTED_LINE.sub("", body.replace("\r\n", "\n"))


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _paragraphs(text: str) -> list[str]:
    return [part.strip() for part in _PARAGRAPH_BREAK.split(text.strip()) if part.strip()]


# --- Topics ------------------------------------------------------------------------------------


@dataclass
class _Unit:
    text: str
    separator: str  # what joins it to the unit before: "\n\n" (paragraph), "\n" (list item) or " " (sentence)
    paragraph: int
    shift: bool = False  # opens with a topic shift word
    list_item: bool = False

    @property
    def words(self) -> int:
        return _word_count(self.text)


@dataclass
class _Layout:
    opening: list[str]
    topics: list[list[_Unit]]
    next_steps: list[str]
    signoff: list[str]


def _is_signoff(paragraph: str) -> bool:
    if _word_count(paragraph) > CLOSING_MAX_WORDS:
        return False
    return _THANKS.search(paragraph) or all(_word_count(line) <= 4 for line in paragraph.splitlines())


def _units(paragraph: str, paragraph_index: int) -> list[_Unit]:
    """A paragraph cut at list items and at sentences that open with a topic shift."""
    blocks: list[tuple[str, bool]] = []
    for line in paragraph.splitlines():
        if _LIST_ITEM.match(line) or not blocks:
            blocks.append((line, bool(_LIST_ITEM.match(line))))
        else:
            text, is_item = blocks[-1]
            blocks[-1] = (f"{text}\n{line}", is_item)
    units: list[_Unit] = []
    for block_index, (block, is_item) in enumerate(blocks):
        separator = "\n" if block_index else "\n\n"
        # [sentence, whitespace, sentence, whitespace, ...]: the whitespace is kept to rejoin the text as written.
        pieces = [block] if is_item else _SENTENCE_START.split(block)
        current = pieces[0]
        for space, sentence in zip(pieces[1::2], pieces[2::2], strict=True):
            if _starts_with_shift(sentence):
                units.append(_Unit(current, separator, paragraph_index, _starts_with_shift(current), is_item))
                current, separator, is_item = sentence, space, False
            else:
                current = f"{current}{space}{sentence}"
        units.append(_Unit(current, separator, paragraph_index, _starts_with_shift(current), is_item))
    return units


def _starts_with_shift(text: str) -> bool:
    return _TOPIC_SHIFT_START.match(_fold_text(_LIST_ITEM.sub("", text, count=1))) is not None


def _layout(body: str) -> _Layout:
    paragraphs = _paragraphs(_own_text(body))
    opening: list[str] = []
    if paragraphs:
        first_line, _newline, rest = paragraphs[0].partition("\n")
        if _word_count(first_line) <= GREETING_MAX_WORDS and _GREETINGS.search(first_line):
            opening = [first_line.strip()]
            paragraphs[0] = rest.strip()
            if not paragraphs[0]:
                paragraphs.pop(0)
    signoff: list[str] = []
    while paragraphs and not has_next_steps(paragraphs[-1]) and _is_signoff(paragraphs[-1]):
        signoff.insert(0, paragraphs.pop())
    next_steps: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if has_next_steps(paragraph):
            next_steps = paragraphs[index:]
            paragraphs = paragraphs[:index]
            break
    units = [unit for index, paragraph in enumerate(paragraphs) for unit in _units(paragraph, index)]
    return _Layout(opening, _group_topics(units), next_steps, signoff)


def _group_topics(units: list[_Unit]) -> list[list[_Unit]]:
    with_questions = {unit.paragraph for unit in units if "?" in unit.text}
    questions_apart = len(with_questions) >= 2
    topics: list[list[_Unit]] = []
    previous: _Unit | None = None
    for unit in units:
        opens_topic = (
            previous is None
            or unit.shift
            or (unit.list_item and unit.words >= MIN_TOPIC_WORDS)
            or (previous.list_item and previous.words >= MIN_TOPIC_WORDS and not unit.list_item)
            or (questions_apart and unit.paragraph != previous.paragraph and previous.paragraph in with_questions)
        )
        if opens_topic:
            topics.append([unit])
        else:
            topics[-1].append(unit)
        previous = unit
    return _merge_asides(topics)


def _merge_asides(topics: list[list[_Unit]]) -> list[list[_Unit]]:
    merged: list[list[_Unit]] = []
    for topic in topics:
        if merged and sum(unit.words for unit in topic) < MIN_TOPIC_WORDS:
            merged[-1].extend(topic)
        else:
            merged.append(topic)
    if len(merged) > 1 and sum(unit.words for unit in merged[0]) < MIN_TOPIC_WORDS:
        aside = merged.pop(0)
        merged[0][:0] = aside
    return merged


def _topic_text(topic: list[_Unit]) -> str:
    """The topic as it stands alone: without its opening shift word or list marker, capitalised."""
    first, *rest = topic
    text = _LIST_ITEM.sub("", first.text, count=1) if first.list_item else first.text
    if first.shift:
        text = _strip_shift(text)
    text += "".join(unit.separator + unit.text for unit in rest)
    return text.strip()


def _strip_shift(text: str) -> str:
    folded = _fold(text)
    match = _TOPIC_SHIFT_START.match(folded.text)
    if match is None:  # pragma: no cover - callers check first
        return text
    remainder = text[folded.origin[match.end() - 1] + 1 :].lstrip(" \t,:;.-—–")
    if not remainder:
        return text
    return remainder[0].upper() + remainder[1:]


def _topic_title(topic_text: str, words: int = 8) -> str:
    tokens = topic_text.split()
    return " ".join(tokens[:words]) + ("…" if len(tokens) > words else "")


def split_by_topic(body: str) -> list[str]:
    """Propose one email body per topic (R4); ``[body]`` when there is only one.

    Every proposed body keeps the greeting and the sign-off, so each one reads as a whole email; the
    Next steps block stays with the last topic (the freelancer moves steps where they belong).
    Quoted history (">" lines) is left out of the proposals.
    """
    layout = _layout(body)
    if len(layout.topics) < 2:
        return [body]
    proposals = []
    for index, topic in enumerate(layout.topics):
        is_last = index == len(layout.topics) - 1
        parts = [*layout.opening, _topic_text(topic), *(layout.next_steps if is_last else []), *layout.signoff]
        proposals.append("\n\n".join(parts))
    return proposals


# --- Heat --------------------------------------------------------------------------------------


def _shouted_words(text: str) -> list[tuple[int, str]]:
    """Words in capitals that shout: longer than an acronym, or in a run of three capitalised words.

    Words separated only by spaces form a run ("STOP DOING THIS"); single letters are ignored.
    Known names in capitals (``coach_words.SHOUTING_ALLOWED``) are not shouting on their own.
    """
    words = [(m.start(), m.group()) for m in _LETTER_WORD.finditer(text) if len(m.group()) > 1]
    shouted: set[int] = set()
    run: list[int] = []
    for index, (start, word) in enumerate(words):
        if not word.isupper():
            run = []
            continue
        if run and text[words[run[-1]][0] + len(words[run[-1]][1]) : start].strip(" \t"):
            run = []
        run.append(index)
        if len(run) >= 3:
            shouted.update(run)
        if len(word) > SHORT_ACRONYM_LENGTH and word not in coach_words.SHOUTING_ALLOWED:
            shouted.add(index)
    return [words[i] for i in sorted(shouted)]


def _is_shouting(text: str, shouted: list[tuple[int, str]]) -> bool:
    if len(shouted) >= 2:
        return True
    letters = sum(len(word) for word in _LETTER_WORD.findall(text))
    shouted_letters = sum(len(word) for _start, word in shouted)
    return bool(letters) and shouted_letters / letters >= SHOUTING_RATIO


def heat_signals(subject: str, body: str) -> list[str]:
    """The heated phrases of a draft, in order: profanity, blame, "!!!"/"?!" and shouted words.

    A phrase inside another one already found ("NEVER" in "You NEVER") is listed once, as the longer.
    """
    folded = _fold(f"{subject}\n{_own_text(body)}")
    text = folded.original
    found: list[tuple[int, int, str]] = []
    kind = [(start, end) for _entry, start, end in _NOT_BLAME.matches(folded)]
    for word_list in (_PROFANITY, _BLAME):
        for _entry, start, end in word_list.matches(folded):
            if word_list is _BLAME and any(k_start <= start < k_end for k_start, k_end in kind):
                continue
            phrase = folded.span(start, end)
            original_start = folded.origin[start]
            found.append((original_start, original_start + len(phrase), phrase))
    found.extend((m.start(), m.end(), m.group()) for m in _HEATED_PUNCTUATION.finditer(text))
    shouted = _shouted_words(text)
    if _is_shouting(text, shouted):
        found.extend((start, start + len(word), word) for start, word in shouted)
    seen: set[str] = set()
    covered_until = -1
    signals = []
    for _start, end, phrase in sorted(found, key=lambda item: (item[0], -item[1])):
        if end <= covered_until:
            continue
        covered_until = max(covered_until, end)
        if (key := _fold_text(phrase)) not in seen:
            seen.add(key)
            signals.append(phrase)
    return signals


# --- Jargon ------------------------------------------------------------------------------------


def jargon_in(text: str, language: str | None = None) -> list[tuple[str, str]]:
    """``(word as written, plain replacement)`` for each jargon term, first occurrence, in order.

    Replacements are Russian when ``language`` (default: detected from the text) is ``"ru"``.
    """
    language = language or detect_language(text)
    folded = _fold(text)
    seen: set[int] = set()
    found = []
    for entry, start, end in _JARGON.matches(folded):
        if entry in seen:
            continue
        seen.add(entry)
        _term, plain_en, plain_ru = coach_words.JARGON[entry]
        found.append((folded.span(start, end), plain_ru if language == "ru" else plain_en))
    return found


# --- Review ------------------------------------------------------------------------------------


def review(subject: str, body: str, requires_action: bool) -> list[Finding]:
    """Coach a draft: findings in a stable order (length, topics, greeting, thanks, next steps, heat, jargon)."""
    own = _own_text(body)
    layout = _layout(body)
    findings: list[Finding] = []

    words, paragraphs = _word_count(own), len(_paragraphs(own))
    if words > MAX_WORDS or paragraphs > MAX_PARAGRAPHS:
        if len(layout.topics) > 1:
            suggestion = _("Split it into one email per topic.")
        else:
            suggestion = _("Cut it to what the client needs now (under %(max)s words) and link to the details.") % {
                "max": MAX_WORDS
            }
        message = _("This email is long: %(words)s words in %(paragraphs)s paragraphs.") % {
            "words": words,
            "paragraphs": paragraphs,
        }
        findings.append(Finding("too_long", WARN, message, suggestion, (words, paragraphs)))
    if len(layout.topics) > 1:
        count = len(layout.topics)
        findings.append(
            Finding(
                "several_topics",
                WARN,
                ngettext("This email covers %(count)s topic.", "This email covers %(count)s topics.", count)
                % {"count": count},
                _("Send one email per topic: each gets its own answer and nothing is overlooked."),
                tuple(_topic_title(_topic_text(topic)) for topic in layout.topics),
            )
        )
    first_line = next((line for line in own.splitlines() if line.strip()), "")
    if not _GREETINGS.search(first_line):
        findings.append(
            Finding(
                "no_greeting",
                INFO,
                _("There is no greeting."),
                _("Open with a greeting and the client's name, e.g. “Hello Anna,”."),
            )
        )
    if not _THANKS.search(f"{subject}\n{own}"):
        findings.append(
            Finding(
                "no_thanks",
                INFO,
                _("There is no thank-you."),
                _("Thank the client for something specific: their reply, their patience, the material they sent."),
            )
        )
    if requires_action and not has_next_steps(own):
        findings.append(
            Finding(
                "no_next_steps",
                WARN,
                _("This email asks the client to act but has no Next steps block."),
                _("End with “Next steps:” and one line per action: who does what, by when."),
            )
        )
    if signals := heat_signals(subject, body):
        findings.append(
            Finding(
                "heat",
                WARN,
                _("This email reads as heated."),
                _("Let it cool off: send it a few hours later or tomorrow morning, and read it once more first."),
                tuple(signals),
            )
        )
    if jargon := jargon_in(f"{subject}\n{own}"):
        count = len(jargon)
        findings.append(
            Finding(
                "jargon",
                INFO,
                ngettext(
                    "%(count)s technical term may puzzle the client.",
                    "%(count)s technical terms may puzzle the client.",
                    count,
                )
                % {"count": count},
                "; ".join(_("say “%(plain)s” instead of “%(word)s”") % {"word": w, "plain": p} for w, p in jargon),
                tuple(jargon),
            )
        )
    return findings
