"""Ranking a bounded set of candidate segments by BM25, without FTS5's whole-index statistics pass.

FTS5's ``bm25()`` first counts, for every phrase of the query, all the rows
that contain it (its IDF), by walking the phrase's whole doclist: over a
million segments that pass alone is ~50 ms for a word in half of them, however
few rows are then scored. The search ranks at most a bounded set of candidates
(see :mod:`framescribe.library.store`), and this module scores them itself with the same BM25 formula (k1 = 1.2, b = 0.75), taking each
term's document frequency from a count capped at ``DF_CAP`` rows: a term more
frequent than that carries next to no weight in BM25 either way.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence

from .query import Term, tokens

K1 = 1.2
B = 0.75
DF_CAP = 20_000


def document_frequency(conn: sqlite3.Connection, term: Term, cap: int = DF_CAP) -> int:
    row = conn.execute("SELECT count(*) FROM (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ? LIMIT ?)",
                       (term.fts, cap)).fetchone()
    return max(1, int(row[0]))


def _count(doc: Sequence[str], term: Term) -> int:
    want = term.tokens
    n = len(want)
    if n == 0:
        return 0
    if n == 1 and not term.prefix:
        return doc.count(want[0])
    hits = 0
    for i in range(len(doc) - n + 1):
        if all(doc[i + k] == want[k] for k in range(n - 1)) and (
                doc[i + n - 1].startswith(want[-1]) if term.prefix else doc[i + n - 1] == want[-1]):
            hits += 1
    return hits


def bm25_scores(conn: sqlite3.Connection, rowids: Sequence[int], terms: Sequence[Term], total_rows: int,
                exact_df: int | None = None) -> list[tuple[int, float]]:
    """(rowid, score) for every candidate, higher is better.

    ``exact_df``: the number of rows that match, when the query is one term and
    the caller has counted them all already (saves counting a phrase again).
    The average length is the candidates' own, a close stand-in for the library's.
    """
    idf = {}
    for term in terms:
        df = min(exact_df or document_frequency(conn, term), total_rows)
        # FTS5's own IDF (a term in more than half the rows weighs almost nothing), so both rankings agree.
        idf[term] = max(math.log((total_rows - df + 0.5) / (df + 0.5)), 1e-6)
    docs: dict[int, list[str]] = {}
    for first in range(0, len(rowids), 500):
        chunk = rowids[first:first + 500]
        marks = ",".join("?" * len(chunk))
        for rowid, text, cjk in conn.execute(f"SELECT id, text, cjk FROM segments WHERE id IN ({marks})", chunk):
            docs[rowid] = tokens(cjk or text)
    if not docs:
        return []
    avg = sum(len(d) for d in docs.values()) / len(docs) or 1.0
    out = []
    for rowid, doc in docs.items():
        norm = K1 * (1 - B + B * len(doc) / avg)
        score = 0.0
        for term in terms:
            tf = _count(doc, term)
            if tf:
                score += idf[term] * tf * (K1 + 1) / (tf + norm)
        out.append((rowid, score))
    return out
