"""The option letter a multiple-choice reply commits to (``extract_choice``), else None.

The rules are written for what models write: a letter alone or on the first line, an option's own
text, an answer phrase ("The answer is B", "answer: b"), a conclusion after other letters are
discussed ("..., therefore B", "B is better"), a letter leading the reply ("B) text"), or a single
standalone letter. A letter that is a word (the article "A", the pronoun "I"), part of an
abbreviation ("N/A") or negated ("not A") is never chosen; two different letters found by one
rule are ambiguous (None).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Characters that glue a letter into a word or an abbreviation ("A's", "N/A", "A-1").
_GLUE_BEFORE = r"(?<![A-Za-z0-9'’\-/\\])"
_GLUE_AFTER = r"(?![A-Za-z0-9\-/]|['’][A-Za-z])"
_OPEN = r"[\"'“‘]?[(\[]?"  # an optional quote, then an optional bracket, before a letter
_CLOSE = r"[)\]\"'”’]*"
_LIST_JOIN = r"\s*(?:,|&|\bor\b|\band\b)\s*"
_NEGATION_REACH = 40  # characters before a letter searched for a negation
_NEGATION = re.compile(r"(?:\b(?:not|never|no|cannot|neither|nor)|n['’]t)\s+(?:(?:option|choice)\s+)?[\"'“‘(\[]*$", re.IGNORECASE)
_OPTION_BEFORE = re.compile(r"(?:\b(?:option|choice)\s+|[(\[\"'“‘])$", re.IGNORECASE)
# After the letters "A" and "I", a lower-case word that makes them the article or the pronoun
# ("A car appears", "I think"), unless it is one a letter is the subject of ("A is wrong", "A and C").
_WORD_AFTER = re.compile(r"\s+([a-z]+)")
_SUBJECT_OF = frozenset(
    ["is", "was", "seems", "appears", "looks", "fits", "matches", "describes", "shows", "and", "or", "vs", "versus"]
    + ["remains", "does", "doesn", "isn", "wasn", "has", "gets"]
)
_MODAL_AND_MORE = ["would", "could", "should", "might", "must", "can", "cannot", "but", "because", "since", "as", "also"]
# The words after which "A" and "I" are letters (the pronoun "I" is followed by "would", "can", ...).
_LETTER_WORDS = {
    "A": _SUBJECT_OF | frozenset(_MODAL_AND_MORE + ["only", "too", "had", "best", "correctly", "then", "instead", "here", "there"]),
    "I": _SUBJECT_OF,
}
_ANSWER_PHRASE = (
    r"(?<![A-Za-z0-9])(?i:answer)(?![A-Za-z0-9])[\"'”’]?(?:\s*(?i:is|would\s+be|should\s+be|will\s+be|must\s+be))?\s*[:：\-]?\s*"
)
# Conclusions: "Therefore, B", "the correct option is C", "I choose B", "B is better".
_CONCLUDE = r"(?<![A-Za-z])(?i:therefore|thus|hence|so|in\s+conclusion|in\s+summary|overall|finally|ultimately|consequently)\b[,:]?\s+"
_VERDICT_NOUN = (
    r"(?i:the\s+)?(?i:(?:correct|best|right|final|most\s+likely)\s+)?(?i:option|choice|answer)\s+"
    r"(?i:is|would\s+be|should\s+be|must\s+be|seems\s+to\s+be)\s*[:：]?\s*"
)
_CHOOSE = r"\bI\s+(?i:(?:would|will)\s+|['’]ll\s+|['’]d\s+)?(?i:choose|pick|select|go\s+with|opt\s+for)\s+"
_OPTION_WORD = r"(?:(?i:option|choice)\s+)?"
_BETTER = (
    r"\s+(?i:is|seems|appears|looks)\s+(?i:to\s+be\s+)?(?i:the\s+)?"
    r"(?i:better|best|correct|right|most\s+(?:likely|plausible|accurate|appropriate|reasonable))\b"
)
_PUNCTUATION = re.compile(r"[^\w\s]")


class _ChoicePatterns:
    """The regular expressions of ``extract_choice`` for one set of option letters."""

    def __init__(self, letters: str) -> None:
        both = re.escape(letters + letters.lower())
        option = f"([{re.escape(letters)}])"
        self.whole = re.compile(rf"[\s(\[{{\"'`]*([{both}])[\s)\]}}\"'`.:,]*")
        self.phrase = re.compile(rf"{_ANSWER_PHRASE}{_OPEN}([{both}]){_GLUE_AFTER}")
        self.phrase_only = re.compile(_ANSWER_PHRASE)
        self.verdicts = [
            re.compile(rf"(?:{_CONCLUDE}(?:{_VERDICT_NOUN})?|{_VERDICT_NOUN}|{_CHOOSE}){_OPTION_WORD}{_OPEN}{option}{_GLUE_AFTER}"),
            re.compile(rf"{_GLUE_BEFORE}{_OPTION_WORD}{_OPEN}{option}{_CLOSE}(?={_BETTER})"),
        ]
        self.leading = re.compile(rf"[(\[]?(?:{option}(?:[)\].:：]|$)|([{re.escape(letters.lower())}])(?:[)\]]|[.:：](?=\s|$)))")
        self.alternative = re.compile(rf"{_CLOSE}{_LIST_JOIN}{_OPEN}([{both}]){_GLUE_AFTER}")
        self.standalone = re.compile(rf"{_GLUE_BEFORE}{option}{_GLUE_AFTER}")

    def named(self, text: str, match: re.Match[str], group: int = 1) -> set[str]:
        """The letter of ``match`` and of any options listed right after it ("B or D", "(B), (C)"),
        upper-cased; a lower-case alternative counts only after a lower-case letter."""
        first = match.group(group)
        letters = {first.upper()}
        position = match.end()
        while (alternative := self.alternative.match(text, position)) is not None:
            letter = alternative.group(1)
            if letter.islower() and (first.isupper() or _is_word(text, alternative.start(1))):
                break
            letters.add(letter.upper())
            position = alternative.end()
        return letters


def _is_word(text: str, start: int) -> bool:
    """Whether the letter at ``start`` is the article "A"/"a" or the pronoun "I"/"i" followed by a word
    ("A car appears", "the answer is a dog", "I think"), not an option named before a verb ("A is")."""
    letter = text[start].upper()
    if letter not in _LETTER_WORDS:
        return False
    word = _WORD_AFTER.match(text, start + 1)
    if word is None or word.group(1) in _LETTER_WORDS[letter]:
        return False
    return _OPTION_BEFORE.search(text[max(0, start - 10) : start]) is None


def _negated(text: str, position: int) -> bool:
    """Whether the letter at ``position`` follows a negation ("not A", "isn't option A")."""
    return _NEGATION.search(text, max(0, position - _NEGATION_REACH), position) is not None


def _only(candidates: set[str]) -> str | None:
    return next(iter(candidates)) if len(candidates) == 1 else None


def _as_option(letter: str, letters: str) -> str:
    return letter if letter in letters else letter.swapcase()


def _plain(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text).casefold().split())


def _option_by_text(text: str, options: Mapping[str, str]) -> set[str]:
    """The options whose text is exactly ``text``, case and punctuation aside."""
    plain = _plain(text)
    return {letter for letter, option in options.items() if plain and _plain(option) == plain}


def extract_choice(text: str, letters: str, options: Mapping[str, str] | None = None) -> str | None:
    """The option letter (one of ``letters``) chosen in ``text``, else None.

    Markdown ``*`` is dropped, then the first rule that finds a candidate decides:
    1. the whole answer, or its first line, is the letter, maybe bracketed, quoted or punctuated:
       "B", "(B)", "B.", "**B**", "b", "B\\nA car appears...";
    2. the whole answer, or what follows its last answer phrase, is one option's text (``options``:
       letter -> text), case and punctuation aside: "A blue bicycle." reads the option with that
       text; a text of two options is ambiguous;
    3. an answer phrase: "Answer: B", "The answer is (B)", "the answer is b", ``{"answer": "C"}``;
    4. a conclusion: "Therefore, B", "the correct option is C", "I choose B", "B is better";
    5. the answer starts with the letter and ")", ".", ":" or "]": "B) text", "(B) text", "b) text";
    6. standalone letters of ``letters`` anywhere ("I pick C").
    Outside rules 1, 3 and 5 letters are upper-case. Never chosen: a negated letter ("not A",
    "isn't option A", "neither A nor B"), a letter glued by "/" ("N/A"), "-" or an apostrophe, the
    article "A" and the pronoun "I" before a word ("A car", "I think"; but "A is wrong", "option I"). Two different
    letters found by one rule, including a list ("The answer is B or D", "(B) or (C)"), are
    ambiguous: None.
    """
    if not letters or not letters.isalpha():
        raise ValueError(f"letters must be a non-empty string of letters, got {letters!r}")
    clean = text.replace("*", "").strip()
    patterns = _ChoicePatterns(letters)
    first_line = clean.split("\n", 1)[0]
    for line in (clean, first_line):
        whole = patterns.whole.fullmatch(line)
        if whole is not None:
            return _as_option(whole.group(1), letters)
    phrases = [m for m in patterns.phrase.finditer(clean) if not _is_word(clean, m.start(1)) and not _negated(clean, m.start(1))]
    if options:
        said = list(patterns.phrase_only.finditer(clean))
        tails = [clean] + ([clean[said[-1].end() :]] if said else [])
        by_text = [found for tail in tails if (found := _option_by_text(tail, options))]
        if by_text:
            return _only(by_text[0])
    stated = {letter for match in phrases for letter in patterns.named(clean, match)}
    if stated:
        return _only(stated)
    verdicts = {
        letter for pattern in patterns.verdicts for match in pattern.finditer(clean)
        if not _negated(clean, match.start(1)) and not _is_word(clean, match.start(1))
        for letter in patterns.named(clean, match)
    }
    if verdicts:
        return _only(verdicts)
    leading = patterns.leading.match(clean)
    if leading is not None:
        return _only(patterns.named(clean, leading, 1 if leading.group(1) else 2))
    mentioned = {
        m.group(1) for m in patterns.standalone.finditer(clean) if not _negated(clean, m.start()) and not _is_word(clean, m.start(1))
    }
    return _only(mentioned)
