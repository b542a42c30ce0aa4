"""Turning what a user types into a safe FTS5 query, and CJK text into searchable tokens.

FTS5's query language is strict: a stray quote, a hyphen or a lone ``AND`` is
a syntax error, surfaced by SQLite as an ``OperationalError``. Like datasette's
``escape_fts``, every word the user types is quoted here, so punctuation inside
a word is tokenized instead of parsed; the few operators (``AND``, ``OR``,
``NOT``, parentheses, ``"phrases"`` and a trailing ``*``) are checked first, and
a query that cannot be made valid is a :class:`BadInput` that says why.

Chinese, Japanese and Korean text carries no spaces between words, and FTS5's
``unicode61`` tokenizer keeps a run of such characters as one token, so a
two-character word inside a sentence would never match. The library stores a
second, searchable form of such text (:func:`cjk_form`) in which every CJK
character is its own token; a query word that contains CJK characters becomes
a phrase of single characters, which FTS5 matches only where those characters
stand next to each other: a substring search for that script.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..errors import BadInput

# Han (with extensions and compatibility ideographs), kana, Hangul, CJK punctuation-free letters.
_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK unified ideographs (+ext A, compatibility)
    "\u31f0-\u31ff\uff66-\uff9f"  # katakana extensions, half-width katakana
    "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"  # Hangul syllables and jamo
    "\U00020000-\U0003134f"  # CJK extensions B..G
)
CJK_CHAR = re.compile(f"[{_CJK}]")
# Zero-width space: unicode61 treats it (category Cf) as a separator, and a
# snippet made from the searchable form reads like the original once it is removed.
SEPARATOR = "\u200b"
_AROUND_CJK = re.compile(f"([{_CJK}])")


def has_cjk(text: str) -> bool:
    return CJK_CHAR.search(text) is not None


def cjk_form(text: str) -> str | None:
    """``text`` with every CJK character set apart as its own token; None when there is none."""
    if not has_cjk(text):
        return None
    return _AROUND_CJK.sub(SEPARATOR + r"\1" + SEPARATOR, text)


def readable(snippet: str) -> str:
    """A snippet of the searchable form, back in the original's spacing."""
    return snippet.replace(SEPARATOR, "")


@dataclass(frozen=True)
class _Token:
    kind: str  # "term", "and", "or", "not", "(", ")"
    text: str = ""
    prefix: bool = False


_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not"}


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Token(c))
            i += 1
        elif c == '"':
            close = query.find('"', i + 1)
            if close < 0:
                raise BadInput(f"search query {query!r}: a quote is not closed",
                               hint='put phrases in pairs of double quotes: "quarterly targets"')
            after = len(query[close + 1:]) - len(query[close + 1:].lstrip())
            prefix = query[close + 1 + after:close + 2 + after] == "*"
            tokens.append(_Token("term", query[i + 1:close], prefix))
            i = close + 1 + (after + 1 if prefix else 0)
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            word = query[i:j]
            i = j
            if word in _OPERATORS:
                tokens.append(_Token(_OPERATORS[word]))
            elif not _searchable(word) and word != "*":
                continue  # a dash or an ampersand between words: nothing to search for, like a space
            else:
                prefix = word.endswith("*")
                tokens.append(_Token("term", word.rstrip("*"), prefix))
    return tokens


def _quote(text: str, prefix: bool) -> str:
    spaced = cjk_form(text) or text
    body = '"' + spaced.replace(SEPARATOR, " ") + '"'
    return body + " *" if prefix else body


def _searchable(text: str) -> bool:
    # A term must hold at least one letter or digit for the tokenizer to keep.
    return any(ch.isalnum() for ch in text)


@dataclass(frozen=True)
class Term:
    """A word, phrase or prefix the query asks for (not under NOT): what ranking counts in a segment."""

    tokens: tuple[str, ...]  # as the tokenizer sees them: folded case and accents, CJK characters apart
    prefix: bool
    fts: str  # the term alone, as an FTS5 query


def tokens(text: str) -> list[str]:
    """``text`` split as FTS5's unicode61 tokenizer (remove_diacritics 2) splits it, near enough to count terms."""
    if text.isascii():  # the common case, ten times faster than folding accents
        return _WORD.findall(text.lower())
    spaced = cjk_form(text) or text
    folded = unicodedata.normalize("NFKD", spaced.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(plain)


_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" separates, as in unicode61


def positive_terms(query: str) -> list[Term]:
    """The terms of ``query`` that a matching segment contains (those under NOT are left out)."""
    out: list[Term] = []
    skip_depth: int | None = None  # inside the operand of a NOT
    depth = 0
    negate_next = False
    for tok in _lex(query):
        if tok.kind == "not":
            negate_next = True
            continue
        if tok.kind == "(":
            depth += 1
            if negate_next and skip_depth is None:
                skip_depth = depth
            negate_next = False
            continue
        if tok.kind == ")":
            if skip_depth == depth:
                skip_depth = None
            depth -= 1
            continue
        if tok.kind != "term":
            continue
        negated, negate_next = negate_next, False
        if negated or skip_depth is not None or not _searchable(tok.text):
            continue
        out.append(Term(tuple(tokens(tok.text)), tok.prefix, _quote(tok.text, tok.prefix)))
    return out


def to_fts(query: str) -> str:
    """The FTS5 query for what a user typed; BadInput when it is malformed.

    Words and phrases are ANDed when nothing stands between them; ``AND``,
    ``OR``, ``NOT`` (upper case, as in FTS5) and parentheses combine them;
    ``word*`` and ``"a phrase"*`` match prefixes.
    """
    tokens = _lex(query)
    if not tokens:
        raise BadInput("the search query is empty", hint="give a word, a \"phrase\" or a prefix*")
    out: list[str] = []
    depth = 0
    expect_operand = True  # at the start, after an operator, after "("
    hint = 'combine words as: quarterly AND (targets OR goals) NOT draft'
    for tok in tokens:
        if tok.kind == "term":
            if not _searchable(tok.text):
                what = "a lone *" if tok.prefix and not tok.text else repr(tok.text or '""')
                raise BadInput(f"search query {query!r}: {what} has no letters or digits to search for",
                               hint="search for words; a * goes right after the start of a word, as in quart*")
            if tok.prefix and len(tok.text.strip()) < 1:
                raise BadInput(f"search query {query!r}: a prefix needs at least one character before *")
            if not expect_operand:
                out.append("AND")
            out.append(_quote(tok.text, tok.prefix))
            expect_operand = False
        elif tok.kind == "(":
            if not expect_operand:
                out.append("AND")
            out.append("(")
            depth += 1
            expect_operand = True
        elif tok.kind == ")":
            if depth == 0:
                raise BadInput(f"search query {query!r}: a closing parenthesis has no opening one", hint=hint)
            if expect_operand:
                raise BadInput(f"search query {query!r}: empty parentheses or an operator before ')'", hint=hint)
            out.append(")")
            depth -= 1
        else:
            name = tok.kind.upper()
            if expect_operand:
                where = "at the start" if not out or out[-1] == "(" else f"right after {out[-1]}"
                raise BadInput(f"search query {query!r}: {name} {where} has nothing on its left", hint=hint)
            out.append(name)
            expect_operand = True
    if expect_operand:
        raise BadInput(f"search query {query!r}: it ends with {out[-1] if out else 'an operator'} and nothing after it",
                       hint=hint)
    if depth:
        raise BadInput(f"search query {query!r}: a parenthesis is not closed", hint=hint)
    return " ".join(out)
