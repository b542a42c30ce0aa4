"""``framescribe tracks VIDEO``: what a video carries that the subtitles backend can read, and what it cannot."""

from __future__ import annotations

import click


@click.command("tracks")
@click.argument("video", type=click.Path(dir_okay=False))
def tracks_command(video: str) -> None:
    """List the subtitle tracks and closed captions inside VIDEO, in the order the subtitles backend prefers them.

    \b
    Examples:
      framescribe tracks film.mkv
      framescribe transcribe film.mkv --language fr     # reads the track the list shows for fr
    """
    from framescribe.inputs import check_input_file
    from framescribe.media import probe

    from .tracks import KINDS, list_tracks

    path = check_input_file(video, "video")
    tracks = list_tracks(path, probe(path))
    if not tracks:
        click.echo(f"{path}: no subtitle tracks and no closed captions")
        return
    order = {kind: n for n, kind in enumerate(KINDS)}
    for track in sorted(tracks, key=lambda t: (order.get(t.kind, len(KINDS)), t.index, t.channel or "")):
        where = f"#{track.index}" + (f" {track.channel}" if track.channel else "")
        codec = f"{track.codec} in video" if track.in_video else track.codec
        note = f"  not read: {track.reason}" if track.reason else (f"  {len(track.cues)} cues" if track.cues else "")
        click.echo(f"{track.kind:<10} {where:<8} {codec:<20} {track.language or '-':<4} {track.title or ''}{note}".rstrip())
