"""Write the tricky-subtitle corpus in corpus/ (run once; the outputs are committed).

    python plugins/subtitles/tests/data/make_corpus.py

Each case is a subtitle file whose bytes are spelled out here (encodings, BOMs
and line endings are hard to keep intact in an editor) and, beside it,
<name>.expected.json: the segments a correct reader returns, written by hand.
bad/ holds files that must be refused, with the line the error must name in
<name>.error.json.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

E = list[tuple[float, float, str]]
CASES: dict[str, tuple[bytes, E]] = {}
BAD: dict[str, tuple[bytes, int | None, str]] = {}  # name -> (bytes, line named in the error or None, words in it)


def case(name: str, data: bytes, expected: E) -> None:
    CASES[name] = (data, expected)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


BASIC_SRT = """1
00:00:01,000 --> 00:00:02,500
Hello there.

2
00:00:03,000 --> 00:00:05,250
This cue has
two lines.
"""
BASIC_EXPECTED: E = [(1.0, 2.5, "Hello there."), (3.0, 5.25, "This cue has\ntwo lines.")]

case("srt_basic.srt", BASIC_SRT.encode(), BASIC_EXPECTED)
case("srt_bom_crlf.srt", codecs.BOM_UTF8 + crlf(BASIC_SRT).encode(), BASIC_EXPECTED)
case("srt_no_final_newline.srt", BASIC_SRT.rstrip("\n").encode(), BASIC_EXPECTED)

ACCENTED_SRT = """1
00:00:00,500 --> 00:00:02,000
Un café très « noir », s’il vous plaît.

2
00:00:02,000 --> 00:00:04,000
Ça coûte 5 €.
"""
ACCENTED_EXPECTED: E = [(0.5, 2.0, "Un café très « noir », s’il vous plaît."), (2.0, 4.0, "Ça coûte 5 €.")]
case("srt_utf16le_bom.srt", codecs.BOM_UTF16_LE + crlf(ACCENTED_SRT).encode("utf-16-le"), ACCENTED_EXPECTED)
case("srt_utf16be_nobom.srt", ACCENTED_SRT.encode("utf-16-be"), ACCENTED_EXPECTED)

# Legacy code pages with no BOM and no UTF-8: found by charset-normalizer (textfile.detect_legacy_encoding).
CYRILLIC_SRT = """1
00:00:01,000 --> 00:00:02,500
Привет, мир! Как дела?

2
00:00:03,000 --> 00:00:04,000
Это проверка кодировки: «ёлка», №5.
"""
CYRILLIC_EXPECTED: E = [(1.0, 2.5, "Привет, мир! Как дела?"), (3.0, 4.0, "Это проверка кодировки: «ёлка», №5.")]
case("srt_cp1251.srt", crlf(CYRILLIC_SRT).encode("cp1251"), CYRILLIC_EXPECTED)
case("srt_shift_jis.srt", "1\n00:00:01,000 --> 00:00:02,000\nこんにちは、世界\n".encode("shift_jis"),
     [(1.0, 2.0, "こんにちは、世界")])
case("srt_cp1253.srt", "1\n00:00:01,000 --> 00:00:02,000\nΚαλημέρα κόσμε, τι κάνεις;\n".encode("cp1253"),
     [(1.0, 2.0, "Καλημέρα κόσμε, τι κάνεις;")])
case("srt_cp1252.srt", crlf(ACCENTED_SRT).encode("cp1252"), ACCENTED_EXPECTED)

case("srt_styling.srt", """1
00:00:01,000 --> 00:00:02,000
<i>Italic</i> and <b>bold</b> and <u>under</u>

2
00:00:02,000 --> 00:00:03,000
<font color="#ff0000">Red</font> &amp; <font face="Arial" size="20">big</font>

3
00:00:03,000 --> 00:00:04,000
{\\an8}Top of the screen

4
00:00:04,000 --> 00:00:05,000
{\\i1}ASS italic{\\i0}\\Nsecond line\\hhere

5
00:00:05,000 --> 00:00:06,000
<i></i>

6
00:00:06,000 --> 00:00:07,000
Keep {braces} and 3 < 4 > 2
""".encode(), [
    (1.0, 2.0, "Italic and bold and under"),
    (2.0, 3.0, "Red & big"),
    (3.0, 4.0, "Top of the screen"),
    (4.0, 5.0, "ASS italic\nsecond line here"),
    (6.0, 7.0, "Keep {braces} and 3 < 4 > 2"),
])

case("srt_out_of_order_overlap.srt", """3
00:00:06,000 --> 00:00:08,000
Third.

1
00:00:01,000 --> 00:00:04,000
First, long.

2
00:00:02,000 --> 00:00:03,000
Second, inside the first.
""".encode(), [(1.0, 4.0, "First, long."), (2.0, 3.0, "Second, inside the first."), (6.0, 8.0, "Third.")])

case("srt_messy.srt", """

1
00:00:01.000 --> 00:00:02.000
Dots for milliseconds.



00:00:03,000 --> 00:00:04,000
No cue number.

3
00:00:05,000-->00:00:06,000   X1:100 X2:200 Y1:10 Y2:20
Arrow without spaces, and coordinates.   \n
4
01:02:03,004 --> 01:02:05,000
An hour in.
""".encode(), [
    (1.0, 2.0, "Dots for milliseconds."),
    (3.0, 4.0, "No cue number."),
    (5.0, 6.0, "Arrow without spaces, and coordinates."),
    (3723.004, 3725.0, "An hour in."),
])

case("misnamed_srt.vtt", BASIC_SRT.encode(), BASIC_EXPECTED)

BASIC_VTT = """WEBVTT - a title for the file

intro
00:00:01.000 --> 00:00:02.500
Hello there.

00:03.000 --> 00:05.250
This cue has
two lines.
"""
case("vtt_basic.vtt", BASIC_VTT.encode(), BASIC_EXPECTED)
case("vtt_bom_crlf_no_final_newline.vtt", codecs.BOM_UTF8 + crlf(BASIC_VTT).rstrip("\r\n").encode(), BASIC_EXPECTED)

case("vtt_blocks.vtt", """WEBVTT
Kind: captions
Language: en

NOTE This is a comment
on two lines

STYLE
::cue {
  color: yellow;
}

REGION
id:fred
width:40%
lines:3
regionanchor:0%,100%
viewportanchor:10%,90%
scroll:up

NOTE single-line note

1
00:00:00.000 --> 00:00:01.000 align:start line:0 position:10%,line-left size:35%
Settings after the timing.

2
00:00:01.000 --> 00:00:02.000 region:fred align:left
In a region.
""".encode(), [(0.0, 1.0, "Settings after the timing."), (1.0, 2.0, "In a region.")])

case("vtt_tags.vtt", """WEBVTT

00:00:01.000 --> 00:00:03.000
<v Roger Bingham>We are in New York City
<v.loud Neil>— And we're <i>actually</i> at the <c.yellow.bg_blue>Lucern</c> Hotel

00:00:03.000 --> 00:00:05.000
<00:00:03.000>Karaoke <00:00:03.500>style <00:00:04.000>words &amp; &lt;things&gt;&nbsp;here
""".encode(), [
    (1.0, 3.0, "We are in New York City\n— And we're actually at the Lucern Hotel"),
    (3.0, 5.0, "Karaoke style words & <things> here"),
])

case("vtt_out_of_order_overlap_crlf.vtt", crlf("""WEBVTT

00:00:05.000 --> 00:00:07.000
Later.

00:00:01.000 --> 00:00:06.000
Long, overlapping the later one.
""").encode(), [(1.0, 6.0, "Long, overlapping the later one."), (5.0, 7.0, "Later.")])

case("vtt_lenient.vtt", """
WEBVTT

00:00:01,000 --> 00:00:02,000
Comma before the milliseconds.
00:00:03.000 --> 00:00:04.000
No blank line before this cue.
""".encode(), [(1.0, 2.0, "Comma before the milliseconds."), (3.0, 4.0, "No blank line before this cue.")])

case("vtt_utf16le_bom.vtt", codecs.BOM_UTF16_LE + """WEBVTT

00:00:00.500 --> 00:00:02.000
Un café très « noir », s’il vous plaît.

00:00:02.000 --> 00:00:04.000
Ça coûte 5 €.
""".encode("utf-16-le"), ACCENTED_EXPECTED)


BAD["bad_timing.srt"] = (b"""1
00:00:01,000 --> 00:00:02,000
Fine.

2
00:00:0x,000 --> 00:00:04,000
Broken timing.

3
00:00:05,000 --> 00:00:06,000
Fine again.
""", 6, "bad cue timing")
BAD["bad_timing.vtt"] = (b"""WEBVTT

00:00:01.000 --> 00:00:02.000
Fine.

00:00:03.000 --> soon
Broken timing.
""", 6, "bad cue timing")
BAD["garbage_between.srt"] = (b"""1
00:00:01,000 --> 00:00:02,000
Fine.
2
this is not a timing line
00:00:03,000 --> 00:00:04,000
Text.
""", 6, "does not end")
BAD["no_cues.srt"] = (b"Just some text.\nNo timings at all.\n", 1, "not valid SRT")
BAD["whitespace_only.srt"] = (b"  \r\n\r\n\t\n", None, "holds no text")
BAD["binary.srt"] = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", 3, "binary data")
# Every byte from 0x80 up, in order: no encoding reads that as text.
BAD["unknown_encoding.srt"] = (b"1\n00:00:01,000 --> 00:00:02,000\n" + bytes(range(0x80, 0x100)) + b"\n", 3,
                               "unknown text encoding")
BAD["control_chars.vtt"] = (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbell \x07 here\n", 4, "control character")


def main() -> None:
    corpus = HERE / "corpus"
    bad = HERE / "bad"
    corpus.mkdir(exist_ok=True)
    bad.mkdir(exist_ok=True)
    for name, (data, expected) in CASES.items():
        (corpus / name).write_bytes(data)
        segments = [{"start": s, "end": e, "value": v} for s, e, v in expected]
        (corpus / f"{name}.expected.json").write_text(json.dumps(segments, indent=2, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
    for name, (data, line, words) in BAD.items():
        (bad / name).write_bytes(data)
        (bad / f"{name}.error.json").write_text(json.dumps({"line": line, "contains": words}) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
