"""Library URLs and connections: which server, and a clear error when it cannot be reached."""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel

from ..errors import LibraryUnavailable
from .schema import VECTOR_TYPES, VectorType

SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 10
# Dossier's own URL option, taken out before the URL reaches libpq (which refuses unknown ones):
# `?vector=halfvec` stores float16 vectors when the tables are first created.
VECTOR_OPTION = "vector"


class LibraryURL(BaseModel):
    """A `postgresql://user@host:port/db` library URL, split into what libpq takes and ours."""

    conninfo: str
    vector_type: VectorType = "vector"

    @classmethod
    def parse(cls, url: str) -> LibraryURL:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ValueError(f"not a PostgreSQL URL: {url!r}")
        query = dict(parse_qsl(parts.query))
        vector_type = query.pop(VECTOR_OPTION, "vector")
        if vector_type not in VECTOR_TYPES:
            raise LibraryUnavailable(
                f"?{VECTOR_OPTION}= in the library URL must be one of {', '.join(VECTOR_TYPES)}"
            )
        conninfo = urlunsplit(parts._replace(query=urlencode(query)))
        return cls(conninfo=conninfo, vector_type=vector_type)

    @property
    def server(self) -> str:
        """host:port/database, for messages (never the password)."""
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(self.conninfo)
        host = info.get("host") or "localhost"
        return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def is_library_url(value: object) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme in SCHEMES


def unreachable(url: LibraryURL, exc: BaseException) -> LibraryUnavailable:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return LibraryUnavailable(
        f"The library database at {url.server} cannot be reached ({reason}). Check that the "
        "server runs and the URL is right (`make pg` starts a local one)."
    )


def connect(url: LibraryURL):
    """An autocommit connection with pgvector's types registered; LibraryUnavailable naming
    the server when it cannot be reached."""
    import psycopg
    from pgvector.psycopg import register_vector

    try:
        conn = psycopg.connect(url.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc
    # Fails while the extension is not created in this database: the schema step creates it,
    # then registers again.
    with contextlib.suppress(psycopg.ProgrammingError):
        register_vector(conn)
    return conn
