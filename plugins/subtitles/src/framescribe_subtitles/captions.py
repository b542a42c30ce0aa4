"""Closed captions carried inside the video stream (ATSC A/53 ``cc_data``), read without decoding a picture.

US broadcasts, HLS streams and many MP4s carry CEA-608 (and 708) captions in
the video itself: in H.264 and HEVC as SEI ``user_data_registered_itu_t_t35``
messages ("GA94", type 3), in MPEG-2 video as picture user data. They have no
subtitle stream of their own. We demux the video packets with PyAV (no frame
is decoded, so a whole broadcast is read in seconds), take the ``cc_data``
triples from each, put them in presentation order, and decode CEA-608 with
:mod:`.cea608`. CEA-708 service blocks (cc_type 2/3) are counted but not
decoded; 708 streams carry the 608 bytes too, and those are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from framescribe import Segment

from .cea608 import decode_pairs

GA94 = b"GA94\x03"
T35_PREFIX = b"\xb5\x00\x31"  # USA, ATSC
CAPTION_CODECS = ("h264", "hevc", "mpeg2video")  # video codecs that carry A/53 captions
CAPTION_STREAM_CODECS = ("eia_608", "cc_dec")  # a caption track of its own (QuickTime c608; PyAV names its decoder)


@dataclass
class CaptionScan:
    """The cc_data of one video stream, in presentation order."""

    stream_index: int
    pairs: list[tuple[float, int, int, int]] = field(default_factory=list)  # (seconds, field 1|2, byte1, byte2)
    dtvcc_packets: int = 0  # CEA-708 triples seen
    end: float = 0.0

    def decode(self) -> dict[str, list[Segment]]:
        return decode_pairs(self.pairs, self.end)


def scan_captions(video: Path, stream_index: int) -> CaptionScan:
    """Every cc_data triple of stream ``stream_index``: a video stream, or a caption stream of its own (MOV ``c608``)."""
    import av

    scan = CaptionScan(stream_index)
    timed: list[tuple[int, int, bytes]] = []  # (pts, decode order, cc_data triples)
    with av.open(str(video)) as container:
        stream: Any = container.streams[stream_index]
        codec = stream.codec_context.name if stream.codec_context is not None else ""
        if codec not in CAPTION_CODECS and codec not in CAPTION_STREAM_CODECS:
            return scan
        nal_length = _avcc_length_size(stream.codec_context.extradata, codec)
        base = _start_pts(container, stream)
        time_base = Fraction(stream.time_base)
        for order, packet in enumerate(container.demux(stream)):
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts is None:
                continue
            scan.end = max(scan.end, float((pts - base + (packet.duration or 0)) * time_base))
            data = bytes(packet)
            for cc in _cc_data_blocks(data, codec, nal_length):
                timed.append((pts, order, cc))
    timed.sort()  # presentation order: B-frames come out of the demuxer in decode order
    for pts, _, cc in timed:
        now = float((pts - base) * time_base)
        for i in range(0, len(cc) - 2, 3):
            head, b1, b2 = cc[i], cc[i + 1], cc[i + 2]
            if not head & 0x04:
                continue  # cc_valid = 0: padding
            kind = head & 0x03
            if kind in (0, 1):
                scan.pairs.append((now, kind + 1, b1, b2))
            else:
                scan.dtvcc_packets += 1
    return scan


def _start_pts(container: Any, stream: Any) -> int:
    # Times are counted from the start of the file, as players and ffmpeg's own outputs do
    # (an MPEG-TS usually starts at 1.4 s or some arbitrary broadcast clock).
    if container.start_time is not None:
        return int(Fraction(container.start_time, 1_000_000) / Fraction(stream.time_base))
    return int(stream.start_time or 0)


def _avcc_length_size(extradata: bytes | None, codec: str) -> int | None:
    """Bytes of each NAL unit's length prefix in MP4/MKV packets; None for Annex B start codes (MPEG-TS)."""
    if not extradata or codec == "mpeg2video":
        return None
    if codec == "h264" and extradata[0] == 1 and len(extradata) > 4:
        return (extradata[4] & 0x03) + 1
    if codec == "hevc" and len(extradata) > 22 and extradata[0] == 1:
        return (extradata[21] & 0x03) + 1
    return None


def _nal_units(data: bytes, length_size: int | None) -> list[bytes]:
    if length_size is not None:
        units, at = [], 0
        while at + length_size <= len(data):
            size = int.from_bytes(data[at:at + length_size], "big")
            at += length_size
            units.append(data[at:at + size])
            at += size
        return units
    parts = data.split(b"\x00\x00\x01")
    return [p.rstrip(b"\x00") for p in parts[1:] if p]


def _unescape(nal: bytes) -> bytes:
    # Emulation prevention: 00 00 03 in the NAL stands for 00 00 in the payload.
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _cc_data_blocks(data: bytes, codec: str, length_size: int | None) -> list[bytes]:
    if codec in CAPTION_STREAM_CODECS:
        return [_caption_sample_triples(data)]
    if codec == "mpeg2video":
        return [_cc_triples(chunk) for chunk in _after_each(data, b"\x00\x00\x01\xb2" + GA94)]
    found: list[bytes] = []
    for nal in _nal_units(data, length_size):
        if not nal:
            continue
        if codec == "h264" and nal[0] & 0x1F == 6:
            payload = _unescape(nal[1:])
        elif codec == "hevc" and (nal[0] >> 1) & 0x3F in (39, 40):
            payload = _unescape(nal[2:])
        else:
            continue
        found.extend(_cc_triples(body) for body in _t35_messages(payload))
    return [block for block in found if block]


def _after_each(data: bytes, marker: bytes) -> list[bytes]:
    out, at = [], data.find(marker)
    while at >= 0:
        out.append(data[at + len(marker):])
        at = data.find(marker, at + 1)
    return out


def _t35_messages(sei: bytes) -> list[bytes]:
    """The ATSC caption bodies (what follows ``GA94 03``) of the SEI messages in ``sei``."""
    out, at = [], 0
    while at < len(sei) and sei[at] != 0x80:  # 0x80: the RBSP trailing bits
        kind, at = _sei_number(sei, at)
        size, at = _sei_number(sei, at)
        if at > len(sei):
            break
        body = sei[at:at + size]
        at += size
        if kind == 4 and body.startswith(T35_PREFIX) and body[3:8] == GA94:
            out.append(body[8:])
    return out


def _caption_sample_triples(data: bytes) -> bytes:
    """cc_data triples of a caption stream's packet: already triples, or QuickTime ``cdat``/``cdt2`` atoms of pairs."""
    if data[4:8] not in (b"cdat", b"cdt2"):
        return data[: len(data) - len(data) % 3]
    out, at = bytearray(), 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8]
        if size < 8:
            break
        head = 0xFC if kind == b"cdat" else 0xFD  # field 1, field 2
        body = data[at + 8:at + size]
        for i in range(0, len(body) - 1, 2):
            out += bytes([head, body[i], body[i + 1]])
        at += size
    return bytes(out)


def _sei_number(sei: bytes, at: int) -> tuple[int, int]:
    """An SEI payload type or size (0xFF bytes each add 255) at ``at``, and where the next field starts."""
    value = 0
    while at < len(sei) and sei[at] == 0xFF:
        value, at = value + 255, at + 1
    if at >= len(sei):
        return value, len(sei) + 1
    return value + sei[at], at + 1


def _cc_triples(body: bytes) -> bytes:
    """The cc_data triples of an ATSC ``cc_data()`` structure (flags byte, em_data, triples)."""
    if len(body) < 2 or not body[0] & 0x40:  # process_cc_data_flag
        return b""
    count = body[0] & 0x1F
    return body[2:2 + 3 * count]
