"""Joining readings into segments (framescribe.video.merge) and what counts as a reading."""

from __future__ import annotations

from framescribe.video.merge import Candidate, merge_candidates
from framescribe.video.regions import Rect

FRAME = 1 / 30


def test_merge_joins_pieces_and_keeps_changed_numbers_apart() -> None:
    from framescribe.video.merge import contained

    place = Rect(100, 300, 400, 40)
    logo = Rect(500, 20, 120, 30)
    cands = [
        Candidate(0.0, 10.0, "WORLD NEWS 24", 0.95, logo),
        Candidate(10.0, 30.0, "NEWS 24", 0.96, Rect(540, 20, 80, 30)),  # the same logo after a cut, part found
        Candidate(2.0, 4.0, "It took three days to get here.", 0.93, place),
        Candidate(2.0, 4.0, "It to", 0.96, Rect(100, 300, 60, 40)),  # a fragment read beside the whole
        Candidate(4.0, 9.0, "Slide 1 of 5", 0.9, Rect(1100, 670, 120, 20)),
        Candidate(9.0, 18.0, "Slide 2 of 5", 0.9, Rect(1100, 670, 120, 20)),
    ]
    merged = merge_candidates(cands, gap=1.0, min_similarity=0.8)
    texts = [(c.start, c.end, c.text) for c in merged]
    assert (0.0, 30.0, "WORLD NEWS 24") in texts
    assert (2.0, 4.0, "It took three days to get here.") in texts
    assert (4.0, 9.0, "Slide 1 of 5") in texts and (9.0, 18.0, "Slide 2 of 5") in texts
    assert len(merged) == 4, texts
    assert contained("NEWS 24", "WORLD NEWS 24") and not contained("WORLD NEWS 24", "NEWS 24")


def test_fragment_with_misread_punctuation_is_folded_into_the_caption() -> None:
    from framescribe.video.merge import contained

    caption = Candidate(17.7, 20.7, "Sphinx of black quartz, judge my vow.", 0.91, Rect(130, 380, 560, 50))
    scrap = Candidate(18.8, 20.7, "VOW,", 0.82, Rect(600, 400, 80, 30))  # the caption's end, cut edge read as ","
    # a rough piece from inside the caption's box: only 4 of its 6 letters and digits match, but the place is taken
    rough = Candidate(18.8, 20.7, "ihx of 1", 0.91, Rect(200, 390, 150, 35))
    merged = merge_candidates([caption, scrap, rough], gap=1.0, min_similarity=0.8)
    assert [c.text for c in merged] == [caption.text]
    assert contained("vow,", "my vow.") and not contained("cow", "my vow.")


def test_piece_of_changing_texts_and_padded_reading_do_not_win() -> None:

    page = Rect(1100, 670, 120, 20)
    cands = [
        Candidate(9.0, 18.0, "Slide 2 of 5", 0.93, page),
        Candidate(18.0, 27.0, "Slide 3 of 5", 0.96, page),
        Candidate(27.0, 36.0, "Slide 4 of 5", 0.96, page),
        # a track that kept only the part that never changed: it must not stretch "Slide 3 of 5" to 45 s
        Candidate(25.8, 45.0, "Slide", 0.97, Rect(1100, 670, 50, 20)),
        # the same caption twice: once cleanly, once with scenery read as letters around it
        Candidate(21.4, 24.2, "The library closes early on Sundays.", 0.96, Rect(111, 305, 420, 28)),
        Candidate(21.4, 24.2, "~ i SC 2 4 Tiheli brary closes early on Sundays. -", 0.71, Rect(41, 268, 488, 82)),
    ]
    merged = [(c.start, c.end, c.text) for c in merge_candidates(cands, gap=1.0, min_similarity=0.8)]
    assert merged == [(9.0, 18.0, "Slide 2 of 5"), (18.0, 27.0, "Slide 3 of 5"),
                      (21.4, 24.2, "The library closes early on Sundays."), (27.0, 36.0, "Slide 4 of 5")]


def test_strings_of_one_and_two_letter_words_need_high_confidence() -> None:
    from framescribe.video.pipeline import _plausible

    assert not _plausible("Fa 4 hd", 0.75)  # texture read as letters
    assert _plausible("I am ok", 0.9)
    assert _plausible("Best day ever", 0.75)
