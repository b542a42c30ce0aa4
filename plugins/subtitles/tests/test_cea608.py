"""The CEA-608 decoder on byte pairs written by the test encoder (caption_media.py): modes, channels, and the
bytes real broadcasts mix in (XDS on field 2, text mode, damaged pairs)."""

from __future__ import annotations

from caption_media import EDM, EOC, RCL, RU2, chars, control, odd_parity, pac

from framescribe_subtitles.cea608 import decode_pairs

Pair = tuple[int, int]


def timed(pairs: list[Pair], field: int = 1, start: int = 0) -> list[tuple[float, int, int, int]]:
    """One pair per frame at 10 frames a second, with parity, as a stream carries them."""
    return [((start + n) / 10, field, odd_parity(b1), odd_parity(b2)) for n, (b1, b2) in enumerate(pairs)]


def pop_on(text: str) -> list[Pair]:
    return control(RCL) + pac(15) + chars(text) + control(EOC) + [(0, 0)] * 5 + control(EDM)


def test_pop_on_on_channel_2_is_its_own_track() -> None:
    def on_channel_2(pairs: list[Pair]) -> list[Pair]:
        return [(b1 | 0x08, b2) if 0x10 <= b1 <= 0x17 else (b1, b2) for b1, b2 in pairs]

    got = decode_pairs(timed(pop_on("English here")) + timed(on_channel_2(pop_on("Aquí en español")), start=100), 20)
    assert [s.value for s in got["CC1"]] == ["English here"]
    assert [s.value for s in got["CC2"]] == ["Aquí en español"]


def test_xds_on_field_2_does_not_become_caption_text() -> None:
    xds = [(0x01, 0x03), (ord("N"), ord("E")), (ord("W"), ord("S")), (0x0F, 0x2A)]  # a programme-name packet
    captions = control(RCL) + pac(15) + chars("Field two") + control(EOC) + [(0, 0)] * 3 + control(EDM)
    field2 = [(b1 | 0x01, b2) if b1 == 0x14 else (b1, b2) for b1, b2 in captions]  # CC3 sends 0x15 commands
    got = decode_pairs(timed(xds + field2 + xds, field=2), 10)
    assert [s.value for s in got["CC3"]] == ["Field two"]


def test_text_mode_characters_are_not_captions() -> None:
    text_mode = [(0x14, 0x2A), (0x14, 0x2A), *chars("service text")]
    got = decode_pairs(timed(pop_on("Shown") + text_mode), 10)
    assert [s.value for s in got["CC1"]] == ["Shown"]


def test_a_pair_with_a_parity_error_is_dropped() -> None:
    pairs = timed(control(RU2) + pac(15) + chars("ab cd"))
    damaged = [*pairs[:5], (pairs[5][0], 1, pairs[5][2] ^ 0x80, pairs[5][3]), *pairs[6:]]  # parity broken: " c" lost
    got = decode_pairs(damaged, 5)
    assert [s.value for s in got["CC1"]] == ["abd"]


def test_the_end_of_the_stream_ends_what_is_on_screen() -> None:
    pairs = control(RCL) + pac(15) + chars("Still showing") + control(EOC)
    got = decode_pairs(timed(pairs), 30.0)
    assert [(s.value, s.end) for s in got["CC1"]] == [("Still showing", 30.0)]
