"""A CEA-608 closed-caption decoder: byte pairs with their times in, each caption once out.

CEA-608 is a stream of two-byte codes (odd parity) that drive a caption
"screen" of 15 rows x 32 columns: printable characters, preamble address codes
(row and indent), and commands that choose a mode and swap or erase memories.

- pop-on: text is loaded into a hidden memory; End Of Caption swaps it onto the
  screen. A caption runs from that swap to the next swap or erase.
- roll-up: text is written on the base row; Carriage Return scrolls the window
  up. Each line is one caption, from its first character until it leaves the
  screen (scrolled out of the window, or erased), so no line comes out twice.
- paint-on: characters appear on the screen as they arrive; the screen's text is
  one caption from the first character until it is erased or replaced.

Control codes are sent twice for robustness; the repeat is ignored, as decoders
do. Characters are the 608 set (mostly ASCII, with its own á é í ó ú ç ñ ÷ █),
the special characters (♪ ½ ¢ ® ...) and the extended Western European ones,
which replace the standard character sent before them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from framescribe import Segment

ROWS, COLUMNS = 15, 32

# The standard set differs from ASCII in ten places.
STANDARD = {0x2A: "á", 0x5C: "é", 0x5E: "í", 0x5F: "ó", 0x60: "ú", 0x7B: "ç", 0x7C: "÷", 0x7D: "Ñ", 0x7E: "ñ", 0x7F: "█"}
# 0x11 (channel 1) / 0x19 (channel 2), then 0x30-0x3F. 0x39 is the transparent space.
SPECIAL = "®°½¿™¢£♪à\u00a0èâêîôû"
# 0x12 / 0x1A then 0x20-0x3F, and 0x13 / 0x1B then 0x20-0x3F.
EXTENDED_12 = "ÁÉÓÚÜü‘¡*’─©℠•“”ÀÂÇÈÊËëÎÏïÔÙùÛ«»"
EXTENDED_13 = "ÃãÍÌìÒòÕõ{}\\^_|~ÄäÖöß¥¤│ÅåØø┌┐└┘"
# Preamble address code: (first byte & 0x07, second byte & 0x20) -> row 1-15.
PAC_ROWS = {(1, 0): 1, (1, 0x20): 2, (2, 0): 3, (2, 0x20): 4, (5, 0): 5, (5, 0x20): 6, (6, 0): 7, (6, 0x20): 8,
            (7, 0): 9, (7, 0x20): 10, (0, 0): 11, (3, 0): 12, (3, 0x20): 13, (4, 0): 14, (4, 0x20): 15}

RCL, BS, DER, RU2, RU3, RU4, RDC, TR, RTD, EDM, CR, ENM, EOC = (0x20, 0x21, 0x24, 0x25, 0x26, 0x27, 0x29, 0x2A, 0x2B, 0x2C,
                                                                0x2D, 0x2E, 0x2F)
TO1, TO2, TO3 = 0x21, 0x22, 0x23  # tab offsets (first byte 0x17/0x1F)


def odd_parity_ok(byte: int) -> bool:
    return bin(byte).count("1") % 2 == 1


def standard_char(code: int) -> str:
    return STANDARD.get(code) or chr(code)


def _blank() -> list[list[str]]:
    return [[" "] * COLUMNS for _ in range(ROWS)]


def _text_of(rows: list[list[str]]) -> str:
    lines = ["".join(r).replace("\u00a0", " ").strip() for r in rows]
    return "\n".join(line for line in lines if line)


@dataclass
class _Line:
    """A roll-up line on screen: its characters and when the first one appeared."""

    chars: list[str] = field(default_factory=lambda: [" "] * COLUMNS)
    since: float | None = None


class Channel:
    """The caption state of one channel (CC1-CC4) and the captions it has finished."""

    def __init__(self) -> None:
        self.mode: str | None = None  # "pop", "roll", "paint", or None before the first mode command
        self.shown = _blank()
        self.hidden = _blank()
        self.shown_since: float | None = None
        self.row, self.col = ROWS - 1, 0
        self.window = 2
        self.roll: list[_Line] = []  # roll-up lines, top to bottom; the last is the base row
        self.last_control: tuple[int, int] | None = None
        self.done: list[Segment] = []

    # -- what comes out ------------------------------------------------------------

    def _finish_screen(self, now: float) -> None:
        text = _text_of(self.shown)
        if text and self.shown_since is not None and now > self.shown_since:
            self.done.append(Segment(self.shown_since, now, text))
        self.shown = _blank()
        self.shown_since = None

    def _finish_roll_line(self, line: _Line, now: float) -> None:
        text = "".join(line.chars).replace("\u00a0", " ").strip()
        if text and line.since is not None and now > line.since:
            self.done.append(Segment(line.since, now, text))

    def _finish_roll(self, now: float) -> None:
        for line in self.roll:
            self._finish_roll_line(line, now)
        self.roll = []

    def flush(self, now: float) -> None:
        """End whatever is on screen at ``now`` (the end of the stream)."""
        self._finish_roll(now)
        self._finish_screen(now)

    # -- input ---------------------------------------------------------------------

    def _target(self) -> list[list[str]] | None:
        if self.mode == "pop":
            return self.hidden
        if self.mode == "paint":
            return self.shown
        return None

    def put(self, char: str, now: float) -> None:
        if self.mode == "roll":
            if not self.roll:
                self.roll.append(_Line())
            line = self.roll[-1]
            if line.since is None:
                line.since = now
            line.chars[min(self.col, COLUMNS - 1)] = char
        else:
            target = self._target()
            if target is None:
                return  # text before any mode command: nothing on screen to put it on
            if self.mode == "paint" and self.shown_since is None:
                self.shown_since = now
            target[self.row][min(self.col, COLUMNS - 1)] = char
        self.col = min(self.col + 1, COLUMNS)

    def replace_previous(self, char: str, now: float) -> None:
        # An extended character follows the standard character it replaces (for old decoders).
        self.col = max(self.col - 1, 0)
        self.put(char, now)

    def backspace(self) -> None:
        self.col = max(self.col - 1, 0)
        if self.mode == "roll":
            if self.roll:
                self.roll[-1].chars[self.col] = " "
        else:
            target = self._target()
            if target is not None:
                target[self.row][self.col] = " "

    def command(self, code: int, now: float) -> None:
        if code == RCL:
            if self.mode == "roll":
                self._finish_roll(now)
            self.mode = "pop"
        elif code in (RU2, RU3, RU4):
            if self.mode != "roll":
                self._finish_screen(now)
                self.roll = []
            self.mode = "roll"
            self.window = code - RU2 + 2
            self.col = 0
        elif code == RDC:
            if self.mode == "roll":
                self._finish_roll(now)
            self.mode = "paint"
        elif code in (TR, RTD):
            # Text mode (T1/T2: service information, not captions): its characters are not shown
            # as captions; what is on screen stays until erased.
            self.mode = "text"
        elif code == DER:
            self._delete_to_end_of_row()
        elif code == EDM:
            self._finish_roll(now)
            self._finish_screen(now)
        elif code == ENM:
            self.hidden = _blank()
        elif code == EOC:
            self._finish_screen(now)
            self.shown, self.hidden = self.hidden, _blank()
            self.shown_since = now if _text_of(self.shown) else None
            self.mode = "pop"
        elif code == CR and self.mode == "roll":
            self.roll.append(_Line())
            while len(self.roll) > self.window:
                self._finish_roll_line(self.roll.pop(0), now)
            self.col = 0
        elif code == BS:
            self.backspace()

    def _delete_to_end_of_row(self) -> None:
        if self.mode == "roll" and self.roll:
            row = self.roll[-1].chars
        elif (target := self._target()) is not None:
            row = target[self.row]
        else:
            return
        row[self.col:] = [" "] * (COLUMNS - self.col)

    def preamble(self, b1: int, b2: int) -> None:
        row = PAC_ROWS.get((b1 & 0x07, b2 & 0x20))
        if row is None:
            return
        if self.mode != "roll":
            self.row = row - 1
        self.col = ((b2 & 0x0E) >> 1) * 4 if b2 & 0x10 else 0


class Decoder:
    """Decodes the byte pairs of one field (field 1 carries CC1/CC2, field 2 CC3/CC4)."""

    def __init__(self, field_number: int) -> None:
        self.base = 1 if field_number == 1 else 3
        self.channels = {self.base: Channel(), self.base + 1: Channel()}
        self.current = self.base
        self.in_xds = False  # field 2 also carries XDS (programme information), which is not caption text

    def feed(self, b1: int, b2: int, now: float) -> None:
        if not (odd_parity_ok(b1) and odd_parity_ok(b2)):
            return  # a pair damaged in transmission: dropped, as decoders do
        b1, b2 = b1 & 0x7F, b2 & 0x7F
        if b1 == 0 and b2 == 0:
            return  # padding
        if 0x01 <= b1 <= 0x0F:
            self.in_xds = b1 != 0x0F  # 0x01-0x0E start or continue a packet, 0x0F ends it (with its checksum)
            return
        if 0x10 <= b1 <= 0x1F:
            self.in_xds = False
            self._control(b1, b2, now)
            return
        if self.in_xds:
            return
        channel = self.channels[self.current]
        channel.last_control = None
        for code in (b1, b2):
            if code >= 0x20:
                channel.put(standard_char(code), now)

    def _control(self, b1: int, b2: int, now: float) -> None:
        number = self.base + (1 if b1 & 0x08 else 0)
        channel = self.channels[number]
        if channel.last_control == (b1, b2):
            channel.last_control = None  # the redundant second copy
            return
        channel.last_control = (b1, b2)
        self.current = number
        b1 &= 0x17  # channel 2's codes are channel 1's with 0x08 set
        if b1 == 0x11 and 0x30 <= b2 <= 0x3F:
            channel.put(SPECIAL[b2 - 0x30], now)
        elif b1 == 0x12 and 0x20 <= b2 <= 0x3F:
            channel.replace_previous(EXTENDED_12[b2 - 0x20], now)
        elif b1 == 0x13 and 0x20 <= b2 <= 0x3F:
            channel.replace_previous(EXTENDED_13[b2 - 0x20], now)
        elif b1 in (0x14, 0x15) and 0x20 <= b2 <= 0x2F:
            channel.command(b2, now)  # 0x15 is the field-2 form of the same commands
        elif b1 == 0x17 and b2 in (TO1, TO2, TO3):
            channel.col = min(channel.col + b2 - 0x20, COLUMNS)
        elif b2 >= 0x40:
            channel.preamble(b1, b2)
        # 0x11 0x20-0x2F (mid-row colour/italics) take a column but show nothing.
        elif b1 == 0x11 and 0x20 <= b2 <= 0x2F:
            channel.put(" ", now)


def decode_pairs(pairs: Iterable[tuple[float, int, int, int]], end: float) -> dict[str, list[Segment]]:
    """Captions per channel ("CC1".."CC4") from ``(time, field, byte1, byte2)`` in presentation order."""
    decoders = {1: Decoder(1), 2: Decoder(2)}
    for now, field_number, b1, b2 in pairs:
        decoders[field_number].feed(b1, b2, now)
    out: dict[str, list[Segment]] = {}
    for decoder in decoders.values():
        for number, channel in decoder.channels.items():
            channel.flush(end)
            if channel.done:
                out[f"CC{number}"] = sorted(channel.done, key=lambda s: (s.start, s.end))
    return out
