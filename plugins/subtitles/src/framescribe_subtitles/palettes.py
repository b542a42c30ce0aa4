"""The colours of bitmap subtitle pictures, read from the track's own bytes.

PyAV decodes a subtitle picture to palette indices but does not hand out the
palette (the rect's palette plane has no line size, so PyAV refuses it). OCR
needs only each index's brightness and opacity, and those are in the stream:

- PGS: Palette Definition Segments (``0x14``) give ``(index, Y, Cr, Cb, alpha)``;
  a palette stays in force until redefined.
- VobSub: the track header's 16-colour ``palette:`` line (RGB), and per picture
  the SET_COLOR (``0x03``) and SET_CONTR (``0x04``) commands of the SPU control
  sequence choose 4 of them and their opacities for the pixel values 0-3.

Other bitmap codecs (DVB, XSUB) are first turned into VobSub by ffmpeg, which
knows their palettes (see :func:`.bitmaps.read_bitmap_track`).
"""

from __future__ import annotations

import re

Tones = dict[int, tuple[int, int]]  # palette index -> (luma 0-255, alpha 0-255)


class PgsPalettes:
    """The palette in force while reading a PGS track packet by packet."""

    def __init__(self) -> None:
        self.tones: Tones = {}

    def update(self, packet: bytes) -> Tones:
        for kind, body in _pgs_segments(packet):
            if kind == 0x14 and len(body) >= 2:
                for at in range(2, len(body) - 4, 5):
                    index, y, _cr, _cb, alpha = body[at:at + 5]
                    self.tones[index] = (_full_range(y), alpha)
        return dict(self.tones)


def _pgs_segments(packet: bytes) -> list[tuple[int, bytes]]:
    # In Matroska a block holds the segments (type, 16-bit size, body); a .sup or M2TS puts a
    # 10-byte "PG" header (with times) before each.
    out, at = [], 0
    while at + 3 <= len(packet):
        if packet[at:at + 2] == b"PG":
            at += 10
            continue
        kind, size = packet[at], int.from_bytes(packet[at + 1:at + 3], "big")
        out.append((kind, packet[at + 3:at + 3 + size]))
        at += 3 + size
    return out


def _full_range(y: int) -> int:
    return max(0, min(255, round((y - 16) * 255 / 219)))


def vobsub_palette(extradata: bytes | None) -> list[int]:
    """The 16 lumas of the ``palette:`` line of a VobSub track's header (grey ramp when absent)."""
    text = (extradata or b"").decode("latin-1")
    found = re.search(r"palette:\s*([0-9a-fA-F]{6}(?:\s*,\s*[0-9a-fA-F]{6}){15})", text)
    if found is None:
        return [i * 17 for i in range(16)]
    lumas = []
    for colour in re.split(r"\s*,\s*", found.group(1)):
        r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
        lumas.append(round(0.299 * r + 0.587 * g + 0.114 * b))
    return lumas


def vobsub_tones(packet: bytes, lumas: list[int]) -> Tones:
    """Luma and alpha of the pixel values 0-3 of one SPU, from its first control sequence."""
    colours, alphas = [0, 1, 2, 3], [0, 15, 15, 15]
    if len(packet) >= 4:
        at = int.from_bytes(packet[2:4], "big") + 4  # control sequence: 2 bytes delay, 2 bytes next
        while at < len(packet):
            command = packet[at]
            if command == 0x03 and at + 2 < len(packet):
                a, b = packet[at + 1], packet[at + 2]
                colours = [b & 0x0F, b >> 4, a & 0x0F, a >> 4]
                at += 3
            elif command == 0x04 and at + 2 < len(packet):
                a, b = packet[at + 1], packet[at + 2]
                alphas = [b & 0x0F, b >> 4, a & 0x0F, a >> 4]
                at += 3
            elif command in (0x00, 0x01, 0x02):
                at += 1
            elif command == 0x05:
                at += 7
            elif command == 0x06:
                at += 5
            else:
                break  # 0xFF (end) or a command we do not know the length of
    return {i: (lumas[colours[i]], alphas[i] * 17) for i in range(4)}
