"""Language tags from containers, file names, models and people, mapped to one spelling."""

from __future__ import annotations

import pytest

from framescribe.languages import is_known_language, normalize_language, same_language


@pytest.mark.parametrize(("tag", "code"), [
    ("en", "en"), ("eng", "en"), ("English", "en"), ("en-US", "en"), ("EN_gb", "en"), (" fr ", "fr"),
    ("fra", "fr"), ("fre", "fr"), ("ger", "de"), ("deu", "de"), ("pt_BR", "pt"), ("zho", "zh"), ("chi", "zh"),
    ("norwegian bokmål", "nb"), ("nob", "nb"),
])
def test_every_spelling_of_a_known_language_gives_its_two_letter_code(tag: str, code: str) -> None:
    assert normalize_language(tag) == code


@pytest.mark.parametrize("tag", ["und", "UND", "zxx", "mul", "", "und-Latn", None])
def test_tags_that_name_no_language_give_none(tag: str | None) -> None:
    assert normalize_language(tag) is None


def test_an_unknown_language_keeps_a_comparable_spelling() -> None:
    assert normalize_language("tlh-x") == "tlh"
    assert normalize_language("TLH") == "tlh"
    assert not is_known_language("tlh")


@pytest.mark.parametrize(("a", "b", "same"), [
    ("en", "eng", True), ("English", "en-AU", True), ("fr", "de", False), (None, "en", False),
    ("und", "und", False), (None, None, False), ("tlh", "TLH-x", True),
])
def test_same_language(a: str | None, b: str | None, same: bool) -> None:
    assert same_language(a, b) is same


@pytest.mark.parametrize(("tag", "known"), [
    ("en", True), ("eng", True), ("en-US", True), ("Welsh", True), ("cym", True), ("wel", True),
    ("forced", False), ("sdh", False), ("xx", False),
])
def test_is_known_language_tells_tags_from_other_name_parts(tag: str, known: bool) -> None:
    # Subtitle files are named clip.en.forced.srt: the language must be told apart from the flags.
    assert is_known_language(tag) is known
