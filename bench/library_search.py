"""Synthetic libraries and a realistic query mix for bench/library.py's search part.

Segments are 3-12 words drawn from a Zipf-distributed vocabulary (s = 1.07,
30,000 words) like the probe in the project notes; queries are drawn the way
people search: single words with their real frequencies (so the most frequent
words come up often), short prefixes, two-word phrases taken from the text,
AND/OR pairs.
"""

from __future__ import annotations

import random
import string
import time
from pathlib import Path

import numpy as np

from framescribe.library.store import LibraryStore

VOCABULARY = 30_000
SEGMENTS_PER_MEDIA = 1_000  # about an hour of speech plus on-screen text


def vocabulary(seed: int = 7) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    weights = 1.0 / np.arange(1, VOCABULARY + 1) ** 1.07
    return ordered, weights / weights.sum()


def build(path: Path, segments: int, seed: int = 1) -> None:
    """A library of ``segments`` synthetic segments, media of SEGMENTS_PER_MEDIA each."""
    words, p = vocabulary()
    rng = np.random.default_rng(seed)
    store = LibraryStore(path)
    conn = store.conn
    batch = 50_000
    media_id = 0
    for first in range(0, segments, batch):
        n = min(batch, segments - first)
        lengths = rng.integers(3, 13, n)
        ids = rng.choice(VOCABULARY, size=int(lengths.sum()), p=p)
        rows = []
        at = 0
        conn.execute("BEGIN")
        for i in range(n):
            k = first + i
            if k % SEGMENTS_PER_MEDIA == 0:
                media_id = conn.execute(
                    "INSERT INTO media (path, kind, status, duration, indexed_at) VALUES (?, 'video', 'ok', 3600, ?)",
                    (f"/media/lecture-{k // SEGMENTS_PER_MEDIA:05d}.mp4", time.time())).lastrowid
            text = " ".join(words[j] for j in ids[at:at + lengths[i]])
            at += lengths[i]
            start = (k % SEGMENTS_PER_MEDIA) * 3.6
            cap = "transcribe" if k % 3 else "video_text"
            rows.append((media_id, cap, 0, start, start + 3.0, text, 0.9))
        conn.executemany('INSERT INTO segments (media_id, capability, page, start, "end", text, confidence)'
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    conn.execute("INSERT INTO segments_fts (segments_fts) VALUES ('optimize')")
    store.close()


def query_mix(n: int, seed: int = 3) -> list[tuple[str, str]]:
    """(kind, query) pairs: 50 % words by frequency, 15 % prefixes, 15 % phrases, 10 % AND, 10 % OR."""
    words, p = vocabulary()
    rng = np.random.default_rng(seed)
    pick = rng.random(n)
    out = []
    for i in range(n):
        a, b = (words[j] for j in rng.choice(VOCABULARY, size=2, p=p))
        if i < 3:  # the most frequent words are always in the mix
            out.append(("frequent word", words[i]))
        elif pick[i] < 0.50:
            out.append(("word", a))
        elif pick[i] < 0.65:
            out.append(("prefix", a[:3] + "*"))
        elif pick[i] < 0.80:
            out.append(("phrase", f'"{a} {b}"'))
        elif pick[i] < 0.90:
            out.append(("AND", f"{a} {b}"))
        else:
            out.append(("OR", f"{a} OR {b}"))
    return out


def measure(path: Path, queries: list[tuple[str, str]], *, cpu: bool = False,
            **search: object) -> dict[str, list[float]]:
    """Milliseconds per query, by kind: wall-clock, or with ``cpu`` this process's CPU time (what a
    query costs, whatever else the shared machine is running)."""
    store = LibraryStore(path)
    clock = time.process_time if cpu else time.perf_counter
    times: dict[str, list[float]] = {}
    for kind, q in queries:
        t0 = clock()
        store.search(q, **search)  # type: ignore[arg-type]
        times.setdefault(kind, []).append((clock() - t0) * 1000)
    store.close()
    return times
