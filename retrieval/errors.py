"""Why a library cannot be used, in words a user can act on.

Every error here means "the command could not run" (CLI exit code 3); the message names the
folder or file and says what to do. Nothing here is raised for a single bad input file: those
are reported per file and the rest of the batch goes on.
"""

from __future__ import annotations


class LibraryError(RuntimeError):
    """The library cannot be opened or written; the message says why and what to do."""


class LibraryMismatch(LibraryError):
    """The library on disk was built with another embedder or chunker than this Dossier uses."""


class LibraryMissing(LibraryError):
    """A library existed here (its manifest or index says so) but its database is gone or empty."""


class LibraryDamaged(LibraryError):
    """The library's database cannot be read (truncated, overwritten, not a database)."""


class LibraryLocked(LibraryError):
    """Another Dossier process is writing to this library and did not finish in time."""


class LibraryReadOnly(LibraryError):
    """The library folder or database cannot be written (permissions, read-only disk)."""


class LibraryUnavailable(LibraryError):
    """The data folder cannot be used at all (it is a file, or cannot be created)."""


class DiskFull(LibraryError):
    """The disk filled up while writing; the library stays in its last committed state."""
