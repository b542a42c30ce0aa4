"""Test media with every kind of track a video carries, and the truth each generator wrote.

Everything is made on the fly from our own text (same licence as this
repository), with the ffmpeg binary of imageio-ffmpeg, PyAV and OpenCV:

- text tracks: SubRip, ASS and WebVTT in MKV, mov_text in MP4 (ffmpeg encodes these from text).
- WebVTT as real players' test files carry it, ``S_TEXT/WEBVTT``: ffmpeg's Matroska
  muxer writes the older ``D_WEBVTT/SUBTITLES``, so the codec ID is rewritten in
  place (EBML strings may be padded with NUL bytes, so the sizes stay valid). PyAV's
  ffmpeg reports that track's codec as unknown, which is the case that crashed.
- CEA-608 closed captions: no installable tool writes them, so :func:`cea608_pairs`
  encodes captions to 608 byte pairs (pop-on, roll-up and paint-on, special and
  extended characters), :func:`insert_captions` puts them in each access unit of a
  libx264 stream as ATSC A/53 SEI messages, and ffmpeg copies that stream into
  MPEG-TS, MP4 and fragmented MP4. ffmpeg's H.264 decoder hands those captions
  on with each decoded picture and its encoders write them back (``-a53cc``), which
  makes MPEG-2 video with captions in its picture user data (MPEG-TS, as ATSC
  broadcasts are), H.264 with B-frames (captions in decode order, shown in
  presentation order) and HEVC; lavfi's ``movie=...[out+subcc]`` source gives them
  as a caption stream, which the MOV muxer writes as a ``c608`` track. CEA-708 services are not produced (no tool here
  writes them).
- bitmap tracks: ffmpeg encodes no PGS and turns no text into bitmaps, so
  :func:`write_pgs` writes a Blu-ray .sup (PCS/WDS/PDS/ODS/END segments, RLE) of
  text rendered with OpenCV; ffmpeg copies it into MKV (PGS) and re-encodes it to
  VobSub (``dvdsub``) in MKV and to DVB subtitles in MPEG-TS (bitmap to bitmap is
  an encoding ffmpeg does).
"""

from __future__ import annotations

import re
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from framescribe.media import ffmpeg_exe

FPS = 30
Cue = tuple[float, float, str]  # start, end, text


def ffmpeg(*args: str, cwd: Path | None = None) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-nostdin", "-hide_banner", "-loglevel", "error", *args], check=True, cwd=cwd)


def blank_video(path: Path, seconds: float, size: str = "320x180", codec: str = "libx264") -> Path:
    ffmpeg("-f", "lavfi", "-i", f"color=c=gray:s={size}:r={FPS}:d={seconds}", "-c:v", codec, "-pix_fmt", "yuv420p",
           "-g", str(FPS), "-bf", "0", str(path))
    return path


# -- text tracks --------------------------------------------------------------------------------------------

def srt_text(cues: Sequence[Cue]) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{i}\n{stamp(s)} --> {stamp(e)}\n{text}\n\n" for i, (s, e, text) in enumerate(cues, 1))


def vtt_text(cues: Sequence[Cue]) -> str:
    return "WEBVTT\n\n" + re.sub(r"(\d\d:\d\d:\d\d),(\d\d\d)", r"\1.\2", srt_text(cues))


def mux_text_tracks(path: Path, video: Path, tracks: Sequence[tuple[str, str, str, Sequence[Cue]]]) -> Path:
    """``video`` plus one subtitle track per ``(codec, language, suffix, cues)``; ffmpeg converts the text."""
    args = ["-i", str(video)]
    maps = ["-map", "0:v"]
    codecs: list[str] = []
    for n, (codec, language, suffix, cues) in enumerate(tracks):
        sources = path.parent / f"{path.stem}-sources"  # not beside the video, where the backend would find them
        sources.mkdir(exist_ok=True)
        source = sources / f"track{n}.{suffix}"
        source.write_text(vtt_text(cues) if suffix == "vtt" else srt_text(cues), encoding="utf-8")
        args += ["-i", str(source)]
        maps += ["-map", f"{n + 1}:s"]
        codecs += [f"-c:s:{n}", codec, f"-metadata:s:s:{n}", f"language={language}"]
    ffmpeg(*args, *maps, "-c:v", "copy", *codecs, str(path))
    return path


def as_s_text_webvtt(path: Path) -> Path:
    """Rewrite ffmpeg's WebVTT codec ID to the Matroska spec's ``S_TEXT/WEBVTT`` (what mkvmerge writes)."""
    data = path.read_bytes()
    old = b"D_WEBVTT/SUBTITLES"
    assert old in data
    path.write_bytes(data.replace(old, b"S_TEXT/WEBVTT".ljust(len(old), b"\x00")))
    return path


# -- CEA-608 -------------------------------------------------------------------------------------------------

def odd_parity(byte: int) -> int:
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


SPECIAL = "®°½¿™¢£♪à\u00a0èâêîôû"
EXTENDED_12 = "ÁÉÓÚÜü‘¡*’─©℠•“”ÀÂÇÈÊËëÎÏïÔÙùÛ«»"
EXTENDED_13 = "ÃãÍÌìÒòÕõ{}\\^_|~ÄäÖöß¥¤│ÅåØø┌┐└┘"
STANDARD = {"á": 0x2A, "é": 0x5C, "í": 0x5E, "ó": 0x5F, "ú": 0x60, "ç": 0x7B, "÷": 0x7C, "Ñ": 0x7D, "ñ": 0x7E}
FALLBACK = {"Ü": "U", "ü": "u", "«": '"', "»": '"', "Ä": "A", "Ö": "O", "ß": "s", "Å": "A", "É": "E", "¡": "!"}
RCL, RU2, RDC, EDM, CR, ENM, EOC = 0x20, 0x25, 0x29, 0x2C, 0x2D, 0x2E, 0x2F


def control(code: int) -> list[tuple[int, int]]:
    return [(0x14, code)] * 2  # sent twice, as real encoders do


def pac(row: int) -> list[tuple[int, int]]:
    table = {1: (0x11, 0x40), 2: (0x11, 0x60), 13: (0x13, 0x60), 14: (0x14, 0x40), 15: (0x14, 0x60)}
    return [table[row]] * 2


def chars(text: str) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    pending: list[int] = []

    def flush() -> None:
        while pending:
            pairs.append((pending.pop(0), pending.pop(0) if pending else 0))

    for ch in text:
        if ch in SPECIAL:
            flush()
            pairs += [(0x11, 0x30 + SPECIAL.index(ch))] * 2
        elif ch in FALLBACK:
            pending.append(ord(FALLBACK[ch]))
            flush()
            table, first = (EXTENDED_12, 0x12) if ch in EXTENDED_12 else (EXTENDED_13, 0x13)
            pairs += [(first, 0x20 + table.index(ch))] * 2
        elif ch in STANDARD:
            pending.append(STANDARD[ch])
        else:
            assert 0x20 <= ord(ch) < 0x7F and ch not in "*\\^_`{|}~", ch
            pending.append(ord(ch))
    flush()
    return pairs


@dataclass
class CaptionScript:
    """608 byte pairs frame by frame (one pair per frame on field 1), and the captions they show."""

    pairs: list[tuple[int, int]]
    truth: list[Cue]

    def __init__(self) -> None:
        self.pairs, self.truth = [], []

    def _send(self, pairs: list[tuple[int, int]]) -> int:
        at = len(self.pairs)
        self.pairs += pairs
        return at

    def wait_until(self, frame: int) -> None:
        assert len(self.pairs) <= frame, f"the script runs late: frame {len(self.pairs)} > {frame}"
        self.pairs += [(0, 0)] * (frame - len(self.pairs))

    def pop_on(self, lines: Sequence[str], duration: int = 60, pause: int = 10) -> None:
        """Load ``lines`` off screen, show them ``pause`` frames later (EOC), erase them ``duration`` frames on (EDM)."""
        self._send(control(RCL) + control(ENM))
        for n, line in enumerate(lines):
            self._send(pac(15 - len(lines) + 1 + n) + chars(line))
        show = len(self.pairs) + pause
        hide = show + duration
        self.wait_until(show)
        self._send(control(EOC))
        self.wait_until(hide)
        self._send(control(EDM))
        self.truth.append((show / FPS, hide / FPS, "\n".join(lines)))

    def roll_up(self, lines: Sequence[str], erase_gap: int = 15) -> None:
        """Roll-up, two rows: each line shows from its first character until a later line pushes it out."""
        self._send(control(RU2) + pac(15))
        starts: list[int] = []
        ends: list[int] = []
        for n, line in enumerate(lines):
            if n:
                cr = self._send(control(CR))
                if n >= 2:
                    ends.append(cr)  # the line two above leaves the two-row window
            starts.append(len(self.pairs))
            self._send(chars(line))
            self.wait_until(len(self.pairs) + 20)  # a reading pause
        self.wait_until(len(self.pairs) + erase_gap)
        erase = self._send(control(EDM))
        ends += [erase] * (len(lines) - len(ends))
        self.truth += [(s / FPS, e / FPS, line) for s, e, line in zip(starts, ends, lines, strict=True)]

    def paint_on(self, hide_gap: int, text: str) -> None:
        self._send(control(RDC) + pac(14))
        first = len(self.pairs)
        self._send(chars(text))
        self.wait_until(len(self.pairs) + hide_gap)
        hide = self._send(control(EDM))
        self.truth.append((first / FPS, hide / FPS, text))


def standard_script(repeats: int = 1) -> CaptionScript:
    script = CaptionScript()
    for _ in range(repeats):
        _standard_scenes(script)
    return script


def _standard_scenes(script: CaptionScript) -> None:
    script.pop_on(["♪ Music plays softly ♪"])
    script.pop_on(["Café for 50¢, ½ price!", "Über «tasty» crêpes"])
    script.roll_up(["Good evening, this is", "the late news with", "captions that roll up."])
    script.paint_on(30, "Painted on: 100°")
    script.wait_until(len(script.pairs) + 10)


def cc_data_sei(pair: tuple[int, int], field: int = 1) -> bytes:
    """An H.264 SEI NAL unit (with start code) carrying one 608 pair as ATSC A/53 cc_data."""
    b1, b2 = pair
    valid = 0x04 if pair != (0, 0) else 0
    triples = bytes([0xF8 | valid | (field - 1), odd_parity(b1), odd_parity(b2)])
    triples += bytes([0xFA, 0x00, 0x00]) * 2  # unused 708 slots, as broadcast encoders fill them
    cc_data = bytes([0x40 | 3, 0xFF]) + triples + b"\xff"
    body = b"\xb5\x00\x31GA94\x03" + cc_data
    payload = bytes([4, len(body)]) + body + b"\x80"
    escaped = bytearray()
    zeros = 0
    for byte in payload:
        if zeros >= 2 and byte <= 3:
            escaped.append(3)
            zeros = 0
        escaped.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return b"\x00\x00\x00\x01\x06" + bytes(escaped)


def insert_captions(h264: bytes, pairs: Sequence[tuple[int, int]]) -> bytes:
    """Annex B ``h264`` (one picture per access unit, no B-frames) with pair n in picture n's SEI."""
    out = bytearray()
    picture = 0
    for unit in h264.split(b"\x00\x00\x01")[1:]:
        unit = unit.rstrip(b"\x00")
        kind = unit[0] & 0x1F
        if kind in (1, 5):  # the (only) slice of a picture: its captions go just before it
            out += cc_data_sei(pairs[picture] if picture < len(pairs) else (0, 0))
            picture += 1
        out += b"\x00\x00\x00\x01" + unit
    return bytes(out)


def captioned_videos(folder: Path, script: CaptionScript, picture: str = "color=c=gray:s=160x90",
                     reencode: bool = True) -> dict[str, Path]:
    """The script's captions in H.264 SEI (MPEG-TS, MP4, fragmented MP4), and re-encoded: MPEG-2 user data in
    MPEG-TS, H.264 with B-frames in MP4, HEVC SEI in MP4; and as a QuickTime c608 track of its own."""
    seconds = len(script.pairs) / FPS + 0.5
    raw = folder / "plain.h264"
    ffmpeg("-f", "lavfi", "-i", f"{picture}:r={FPS}:d={seconds}", "-c:v", "libx264", "-bf", "0",
           "-g", str(FPS), "-pix_fmt", "yuv420p", "-x264-params", "slices=1", "-f", "h264", str(raw))
    captioned = folder / "captioned.h264"
    captioned.write_bytes(insert_captions(raw.read_bytes(), script.pairs))
    out = {"ts": folder / "cc.ts", "mp4": folder / "cc.mp4", "fmp4": folder / "cc_frag.mp4"}
    common = ["-f", "h264", "-framerate", str(FPS), "-i", str(captioned), "-c", "copy"]
    ffmpeg(*common, str(out["ts"]))
    ffmpeg(*common, str(out["mp4"]))
    ffmpeg(*common, "-movflags", "+frag_keyframe+empty_moov+default_base_moof", str(out["fmp4"]))
    if not reencode:
        return out
    # Re-encoded from the TS: the decoder passes the captions to the encoder with each picture.
    reencodes = {"mpeg2_ts": ("cc_mpeg2.ts", ["-c:v", "mpeg2video", "-q:v", "8"]),
                 "bframes_mp4": ("cc_bframes.mp4", ["-c:v", "libx264", "-bf", "3", "-g", str(FPS)]),
                 "hevc_mp4": ("cc_hevc.mp4", ["-c:v", "libx265", "-x265-params", "log-level=error"])}
    for key, (name, codec) in reencodes.items():
        out[key] = folder / name
        ffmpeg("-i", str(out["ts"]), *codec, "-a53cc", "1", str(out[key]))
    # A QuickTime c608 caption track (from lavfi's movie=...[out+subcc]) beside a video that carries none.
    out["c608_mov"] = folder / "cc_c608.mov"
    ffmpeg("-f", "lavfi", "-i", f"movie={out['ts'].name}[out+subcc]", "-map", "0:0", "-map", "0:1", "-c:v", "libx264",
           "-a53cc", "0", "-c:s", "copy", out["c608_mov"].name, cwd=folder)
    return out


# -- bitmap subtitles (PGS) ----------------------------------------------------------------------------------

def render_text(text: str, scale: float = 1.4) -> tuple[bytes, int, int]:
    """``text`` as a 4-colour indexed bitmap: 0 transparent, 1 white fill, 2 black outline, 3 grey edge."""
    import cv2
    import numpy as np

    lines = text.split("\n")
    font, thick = cv2.FONT_HERSHEY_SIMPLEX, 3
    sizes = [cv2.getTextSize(line, font, scale, thick)[0] for line in lines]
    line_h = max(h for _, h in sizes) + 24
    width = max(w for w, _ in sizes) + 24
    height = line_h * len(lines) + 8
    fill = np.zeros((height, width), np.uint8)
    for n, (line, (w, h)) in enumerate(zip(lines, sizes, strict=True)):
        origin = ((width - w) // 2, 12 + n * line_h + h)
        cv2.putText(fill, line, origin, font, scale, 255, thick, cv2.LINE_AA)
    # The outline by dilation: OpenCV 5 draws its built-in font at one weight whatever the thickness.
    outline = cv2.dilate(fill, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    index = np.zeros((height, width), np.uint8)
    index[outline > 40] = 2
    index[(fill > 40) & (fill <= 160)] = 3
    index[fill > 160] = 1
    return index.tobytes(), width, height


def _rle(index: bytes, width: int, height: int) -> bytes:
    out = bytearray()
    for y in range(height):
        row = index[y * width:(y + 1) * width]
        x = 0
        while x < width:
            colour = row[x]
            run = 1
            while x + run < width and row[x + run] == colour and run < 16383:
                run += 1
            if colour and run < 3:
                out += bytes([colour]) * run
            elif colour == 0:
                out += bytes([0, run]) if run < 64 else bytes([0, 0x40 | run >> 8, run & 0xFF])
            else:
                out += bytes([0, 0x80 | run, colour]) if run < 64 else bytes([0, 0xC0 | run >> 8, run & 0xFF, colour])
            x += run
        out += b"\x00\x00"
    return bytes(out)


# YCrCb + alpha (BT.709 full range is close enough for grey levels).
PALETTE = [(0, 16, 128, 128, 0), (1, 235, 128, 128, 255), (2, 16, 128, 128, 255), (3, 125, 128, 128, 255)]


def _segment(kind: int, pts: int, body: bytes) -> bytes:
    return b"PG" + struct.pack(">IIBH", pts, 0, kind, len(body)) + body


def write_pgs(path: Path, cues: Sequence[Cue], canvas: tuple[int, int] = (1280, 720)) -> Path:
    """A Blu-ray .sup showing each cue's text centred near the bottom of ``canvas`` from start to end."""
    cw, ch = canvas
    out = bytearray()
    for number, (start, end, text) in enumerate(cues):
        index, w, h = render_text(text)
        x, y = (cw - w) // 2, ch - h - 40
        show, hide = round(start * 90_000), round(end * 90_000)
        pcs = struct.pack(">HHBHBBBB", cw, ch, 0x10, number * 2, 0x80, 0, 0, 1) + struct.pack(">HBBHH", 0, 0, 0, x, y)
        wds = struct.pack(">BBHHHH", 1, 0, x, y, w, h)
        pds = struct.pack(">BB", 0, 0) + b"".join(bytes(entry) for entry in PALETTE)
        rle = _rle(index, w, h)
        ods = struct.pack(">HBB", 0, 0, 0xC0) + (len(rle) + 4).to_bytes(3, "big") + struct.pack(">HH", w, h) + rle
        assert len(ods) < 65536, "one ODS segment only: keep the cue short"
        out += _segment(0x16, show, pcs) + _segment(0x17, show, wds) + _segment(0x14, show, pds)
        out += _segment(0x15, show, ods) + _segment(0x80, show, b"")
        clear = struct.pack(">HHBHBBBB", cw, ch, 0x10, number * 2 + 1, 0x00, 0, 0, 0)
        out += _segment(0x16, hide, clear) + _segment(0x17, hide, wds) + _segment(0x80, hide, b"")
    path.write_bytes(bytes(out))
    return path


def bitmap_videos(folder: Path, cues: Sequence[Cue], language: str = "eng") -> dict[str, Path]:
    """PGS and VobSub tracks in MKV, DVB subtitles in MPEG-TS, all showing ``cues``."""
    seconds = max(e for _, e, _ in cues) + 1
    video = blank_video(folder / "bitmap_base.mkv", seconds, size="640x360")
    sup = write_pgs(folder / "subs.sup", cues)
    out = {"pgs": folder / "pgs.mkv", "vobsub": folder / "vobsub.mkv", "dvb": folder / "dvb.ts"}
    # -copyts: the .sup's times are the truth (ffmpeg would otherwise start each input at 0);
    # -fix_sub_duration: PGS says when a picture goes away by a later display set, VobSub and
    # DVB by a duration, which ffmpeg works out from that set when re-encoding.
    inputs = ["-copyts", "-i", str(video), "-fix_sub_duration", "-i", str(sup), "-map", "0:v", "-map", "1:s", "-c:v", "copy",
              "-metadata:s:s:0", f"language={language}"]
    ffmpeg(*inputs, "-c:s", "copy", str(out["pgs"]))
    ffmpeg(*inputs, "-c:s", "dvdsub", str(out["vobsub"]))
    ffmpeg(*inputs, "-c:s", "dvbsub", str(out["dvb"]))
    return out
