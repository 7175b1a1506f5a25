"""The app's handle on the core: the open library and the language model, loaded off-thread.

The window appears first; `Engine.start()` then opens the library (the embedder and torch
load here) and loads the model on worker threads, announcing each state by signal. Tests
pass factories that return a fake-embedder library and a scripted model.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from .preferences import Preferences
from .workers import Job, Runner, adopt

LibraryFactory = Callable[[Preferences, Callable[[Any], None]], Any]
LlmFactory = Callable[[Preferences], Any]
ConversationsFactory = Callable[[Preferences], Any]


# Jobs that never touch an open library: a dossier switch does not wait for them.
_NOT_USING_A_LIBRARY = frozenset({"llm", "library", "conversations", "dossiers"})


def settings_of(prefs: Preferences):
    """The core's settings for the window's preferences (empty = not chosen)."""
    from dossier.runtime import Settings

    return Settings.resolve(
        data=prefs.data_dir or None,
        dossier=prefs.dossier or None,
        model=prefs.model or None,
        threads=prefs.threads or None,
        k=prefs.k,
        library=prefs.library_url or None,
    )


def runtime_of(prefs: Preferences):
    """The core's construction point for the window's preferences."""
    from dossier.runtime import Runtime

    return Runtime(settings_of(prefs))


def real_library(prefs: Preferences, progress: Callable[[Any], None]):
    return runtime_of(prefs).library(progress=progress)


def warm_up(library) -> None:
    """Load the embedder and build the search indexes now, on the worker thread.

    Otherwise the first question pays for them, and building the keyword index runs C code
    that holds the GIL long enough to stall the window.
    """
    if library.is_empty():
        library.embedder.embed(["warm up"])
        return
    library.search("warm up", k=1)


def indexed_sources(library) -> list:
    """`warm_up`, then the sources: how every job that opens or changes a library ends."""
    warm_up(library)
    return library.sources()


def real_conversations(prefs: Preferences):
    """The saved conversations of the preferences' data folder (a `ConversationStore`)."""
    return runtime_of(prefs).conversations()


def real_llm(prefs: Preferences):
    """The model of the preferences, shared in the process (see dossier.models.shared_llm)."""
    return runtime_of(prefs).llm()


def model_label(llm) -> str:
    return getattr(llm, "model_id", None) or "model"


class Engine(QObject):
    """Holds the library and model; states are "loading", "ready" or "failed: <why>"."""

    library_state = Signal(str)
    llm_state = Signal(str)
    library_changed = Signal()  # sources added, removed or reindexed, or a new library opened
    seed_progress = Signal(object)
    conversations_state = Signal(str)  # "ready" (a store opened) or "failed: <why>"

    def __init__(
        self,
        prefs: Preferences,
        *,
        library_factory: LibraryFactory = real_library,
        llm_factory: LlmFactory = real_llm,
        conversations_factory: ConversationsFactory = real_conversations,
        runner: Runner | None = None,
    ) -> None:
        super().__init__()
        self.prefs = prefs
        self.runner = runner or Runner(self)
        self._library_factory = library_factory
        self._llm_factory = llm_factory
        self._conversations_factory = conversations_factory
        self.library = None
        self.conversations = None  # the saved conversations (dossier.conversations), once open
        self.sources: list = []  # the library's sources as last read (on a worker thread)
        self.llm = None
        self.library_status = "not loaded"
        self.llm_status = "not loaded"
        self._llm_event = threading.Event()  # set once a load attempt finished, good or bad
        self._llm_error: str | None = None
        # The latest library / conversations opening asked for: an earlier one that ends
        # later (the user switched dossiers twice quickly) is closed, not shown.
        self._library_ticket = object()
        self._conversations_ticket = object()

    # -- loading ------------------------------------------------------------------------
    def start(self) -> None:
        self.open_library()
        self.load_llm()

    def open_library(self) -> None:
        self._set_library_status("loading")
        prefs = self.prefs
        ticket = self._library_ticket = object()

        def work(job: Job):
            library = self._library_factory(prefs, job.progress)
            return library, indexed_sources(library)

        self.runner.start(
            work,
            name="library",
            on_done=lambda result: self._library_opened(result, ticket),
            on_failed=lambda why: self._library_failed(why, ticket),
            on_progress=self.seed_progress.emit,
        )
        self.open_conversations()

    def open_conversations(self) -> None:
        """Open the data folder's saved conversations off the GUI thread (a quick job: the
        list shows while the embedder still loads)."""
        prefs = self.prefs
        ticket = self._conversations_ticket = object()

        def work(job: Job):
            return self._conversations_factory(prefs)

        self.runner.start(
            work,
            name="conversations",
            on_done=lambda store: self._conversations_opened(store, ticket),
            on_failed=lambda why: self._conversations_failed(why, ticket),
        )

    def _conversations_failed(self, why: str, ticket) -> None:
        if ticket is self._conversations_ticket:  # not those of a dossier put away since
            self.conversations_state.emit(f"failed: {why}")

    def _conversations_opened(self, store, ticket=None) -> None:
        stale = ticket is not None and ticket is not self._conversations_ticket
        self.conversations, taken = adopt(self.conversations, store, stale=stale)
        if taken:  # not those of a dossier put away since
            self.conversations_state.emit("ready")

    def _library_failed(self, why: str, ticket) -> None:
        if ticket is self._library_ticket:
            self._set_library_status(f"failed: {why}")

    def load_llm(self) -> None:
        self._set_llm_status("loading")
        self.llm = None
        self._llm_error = None
        self._llm_event.clear()
        prefs = self.prefs

        def work(job: Job):
            try:
                llm = self._llm_factory(prefs)
                load = getattr(llm, "load", None)
                if load:
                    load()
            except Exception as exc:
                self._llm_error = str(exc) or type(exc).__name__
                self._llm_event.set()
                raise
            self.llm = llm  # visible to workers waiting in `wait_llm` right away
            self._llm_event.set()
            return llm

        self.runner.start(
            work,
            name="llm",
            on_done=self._llm_loaded,
            on_failed=lambda why: self._set_llm_status(f"failed: {why}"),
        )

    def _library_opened(self, result, ticket=None) -> None:
        library, sources = result
        stale = ticket is not None and ticket is not self._library_ticket
        self.library, taken = adopt(self.library, library, stale=stale)
        if not taken:  # another dossier was chosen meanwhile
            return
        self.library_updated(sources)
        self._set_library_status("ready")

    def library_updated(self, sources: list) -> None:
        """New contents, read by the job that changed them: views never query on the GUI thread."""
        self.sources = list(sources)
        self.library_changed.emit()

    def _llm_loaded(self, llm) -> None:
        self.llm = llm
        self._set_llm_status("ready")

    def wait_llm(self, cancel: threading.Event | None = None):
        """The model, waiting (on a worker thread) while it loads; None if cancelled first."""
        while not self._llm_event.wait(0.1):
            if cancel is not None and cancel.is_set():
                return None
        if self.llm is None:
            raise RuntimeError(f"the model could not be loaded: {self._llm_error}")
        return self.llm

    def reopen_library(self) -> None:
        """Put the library in use away and open the one the preferences name now (another
        library URL): as a dossier switch, without changing the dossier."""
        self.open_dossier(self.prefs.dossier)

    def open_dossier(self, name: str) -> None:
        """Put the dossier in use away and open `name`'s library and conversations.

        The old library is detached at once (nothing new starts on it: every action checks
        `library`), shown empty, and closed once the jobs still running on it have ended; the
        caller has refused the switch while the user's own work (an answer, an ingest, ...) runs
        and background work was cancelled as the library state went to "loading".
        """
        old, self.library = self.library, None
        self.prefs = dataclasses.replace(self.prefs, dossier=name)
        self._set_library_status("loading")
        self.library_updated([])
        if old is not None:
            self.close_when_idle(old)
        self.open_library()

    def close_when_idle(self, library) -> None:
        """Close `library` once the jobs running now (that may use it) have finished."""
        busy = {j for j in self.runner.jobs() if j.name not in _NOT_USING_A_LIBRARY}
        if not busy:
            library.close()
            return

        closed = []

        def finished(job) -> None:
            busy.discard(job)
            if not busy and not closed:
                closed.append(True)
                library.close()

        for job in list(busy):
            job.signals.finished.connect(lambda job=job: finished(job))
            # A signal emitted before the connection is not delivered to it: a job that has
            # already ended counts as finished now.
            if job.ended.is_set():
                finished(job)

    def replace_library(self, library, sources: list) -> None:
        """Swap in a library reopened by a worker (after a reindex)."""
        self._library_opened((library, sources))

    def _set_library_status(self, status: str) -> None:
        self.library_status = status
        self.library_state.emit(status)

    def _set_llm_status(self, status: str) -> None:
        self.llm_status = status
        self.llm_state.emit(status)

    @property
    def ready(self) -> bool:
        return self.library_status == "ready" and self.llm_status == "ready"

    @property
    def failed(self) -> bool:
        """The library or the model could not be loaded."""
        return self.library_status.startswith("failed") or self.llm_status.startswith("failed")

    def shutdown(self) -> None:
        self.runner.cancel_all()
        self.runner.wait(10000)
        if self.library is not None:
            self.library.close()
            self.library = None
        if self.conversations is not None:
            self.conversations.close()
            self.conversations = None
