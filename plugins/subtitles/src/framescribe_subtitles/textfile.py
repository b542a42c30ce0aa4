"""Turning the bytes of a subtitle file into text, whatever encoding real files come in."""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

from framescribe import BadInput

log = logging.getLogger("framescribe.subtitles")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Control characters that never appear in a text file (all but tab, newlines, form feed): they mean "binary".
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")
ENCODING_HINT = "convert the file to UTF-8, or set [backends.subtitles] encoding = \"...\" in the config"
# The legacy encodings subtitle files really come in, most common first. Detection is limited to
# them (charset-normalizer otherwise takes short Cyrillic text for mac_cyrillic), and a tie
# between two that read the bytes equally well goes to the earlier one (cp1252 before cp1250
# for "coûte", which both decode to letters).
LEGACY_ENCODINGS = (
    "cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp1258", "koi8_r", "koi8_u",
    "cp932", "gb18030", "big5", "cp949", "euc_jp", "cp874", "iso8859_15",
)


def decode_subtitle_bytes(data: bytes, path: Path, encoding: str | None = None) -> str:
    """The text of a subtitle file: BOM first, then UTF-16 without BOM, UTF-8, then a detected legacy encoding.

    Old subtitle files come in the Windows code page of their language (cp1252
    Western, cp1251 Cyrillic, ...): charset-normalizer picks the one that reads
    the bytes as plausible text, and the choice is logged (``-v``). Bytes no
    encoding reads, or control characters in the result, mean the file is binary
    or in an encoding we cannot guess, and that is an error naming the file.
    """
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise BadInput(f"unknown encoding {encoding!r} in [backends.subtitles] encoding",
                           hint="use a Python codec name such as utf-8, cp1252, latin-1, utf-16") from None
        except UnicodeDecodeError as exc:
            raise BadInput(f"{path}: not valid {encoding} at byte {exc.start}", hint=ENCODING_HINT) from None
        return _check_text(text.lstrip("\ufeff"), path)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data[len(bom):].decode(codec), path)
            except UnicodeDecodeError as exc:
                raise BadInput(f"{path}: starts with a {codec} byte-order mark but is not valid {codec} "
                               f"(byte {exc.start + len(bom)})", hint=ENCODING_HINT) from None
    guessed = _utf16_without_bom(data)
    if guessed is not None:
        try:
            return _check_text(data.decode(guessed), path)
        except UnicodeDecodeError:
            pass
    _reject_binary(data, path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        return _check_text(text, path)
    detected = detect_legacy_encoding(data)
    if detected is None:
        raise BadInput(f"{path}: unknown text encoding (not UTF-8 or UTF-16, and no common legacy encoding reads it "
                       f"as text; first non-UTF-8 byte 0x{data[first_bad]:02x} at line {_line_of(data, first_bad)})",
                       hint=ENCODING_HINT)
    log.info("subtitles: %s is not UTF-8; decoded as %s (detected by charset-normalizer)", path, detected)
    return _check_text(data.decode(detected), path)


def detect_legacy_encoding(data: bytes) -> str | None:
    """The legacy encoding (one of LEGACY_ENCODINGS) that reads ``data`` as the most plausible text, or None."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)))
    if not matches:
        return None
    least = min(m.chaos for m in matches)

    def rank(encoding: str) -> int:
        return LEGACY_ENCODINGS.index(encoding) if encoding in LEGACY_ENCODINGS else len(LEGACY_ENCODINGS)

    # Short files make the scores close: among the least chaotic readings, the most coherent
    # (letters in the frequencies of a language), then the more common encoding.
    best = min((m for m in matches if m.chaos <= least + 0.01),
               key=lambda m: (-round(m.coherence, 2), min(rank(e) for e in m.could_be_from_charset)))
    return min(best.could_be_from_charset, key=rank)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _utf16_without_bom(data: bytes) -> str | None:
    # Subtitle text is mostly ASCII, so UTF-16 shows as a NUL in every other byte.
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _reject_binary(data: bytes, path: Path) -> None:
    if b"\x00" in data[:65536]:
        offset = data.index(b"\x00")
        raise BadInput(f"{path}: binary data, not a subtitle file (NUL byte at line {_line_of(data, offset)})",
                       hint="give an SRT or WebVTT text file")


def _check_text(text: str, path: Path) -> str:
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise BadInput(f"{path}: binary data, not a subtitle file (control character {bad.group()!r} at line {line})",
                       hint="give an SRT or WebVTT text file")
    return text
