"""The sources listing both stores share: one SQL query (SQLite, PostgreSQL with its own table
names) and the `Source` read from each of its rows."""

from __future__ import annotations

from collections.abc import Callable

from .schema import Source, SourceMeta


def sources_query(sources_table: str = "sources", chunks_table: str = "chunks") -> str:
    """Every source with its text length and chunk count, in id order: the SQL of both
    stores (SQLite here, PostgreSQL with its own table names), read by `source_from_row`."""
    return (
        "SELECT s.id, s.path, s.content_hash, s.meta, length(s.text), s.added_at, "
        f"(SELECT count(*) FROM {chunks_table} c WHERE c.source_id = s.id) "
        f"FROM {sources_table} s ORDER BY s.id"
    )


def source_from_row(row, parse_meta: Callable[[str], SourceMeta]) -> Source:
    """A `Source` from a row of `sources_query`; `parse_meta` reads the stored metadata."""
    return Source(
        id=row[0],
        path=row[1],
        content_hash=row[2],
        meta=parse_meta(row[3]),
        n_chars=row[4],
        added_at=row[5],
        n_chunks=row[6],
    )
