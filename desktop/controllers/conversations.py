"""The saved conversations list beside the chat: shown on launch, filtered by a search, picked
to restore one, deleted."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from .. import render
from ..engine import Engine
from ..views.conversations_panel import ConversationsPanel
from ..views.id_list import ID_ROLE
from .chat import ChatController

SEARCH_DELAY_MS = 200  # filter once the user pauses typing, not on every key
SNIPPET_CHARS = 90


class ConversationsController(QObject):
    def __init__(self, view: ConversationsPanel, chat: ChatController, engine: Engine) -> None:
        super().__init__(view)
        self.view = view
        self.chat = chat
        self.engine = engine
        self.unavailable = ""  # why the saved conversations cannot be shown, if they cannot
        self._opened = False
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        view.search.textChanged.connect(lambda _text: self._search_timer.start())
        view.list.itemClicked.connect(self._picked)
        view.list.itemActivated.connect(self._picked)
        view.delete_button.clicked.connect(self.delete_selected)
        engine.conversations_state.connect(self._state)
        chat.saved.connect(lambda _id: self.refresh())
        chat.conversation_changed.connect(self._select)
        self._show_empty()

    # -- the list -----------------------------------------------------------------------
    def _state(self, state: str) -> None:
        if state == "ready":
            if self._opened and self.chat.conversation_id is not None:
                self.chat.new_conversation()  # another data folder: its own conversations
            self._opened = True
            self.unavailable = ""
        else:
            self.unavailable = state.removeprefix("failed: ")
        self.refresh()

    def refresh(self) -> None:
        """Read the list again (a quick query), filtered by the search field."""
        from dossier.conversations import ConversationsError

        self._search_timer.stop()
        store = self.engine.conversations
        text = self.view.search.text().strip()
        summaries, matches = [], {}
        if store is not None:
            try:
                summaries = store.conversations()
                if text:
                    for m in store.search(text):
                        matches.setdefault(m.conversation_id, m)
            except ConversationsError as exc:
                self.unavailable = str(exc)
        if text:
            summaries = [s for s in summaries if s.id in matches]
        items = []
        for s in summaries:
            turns = f"{s.n_turns} turn{'s' if s.n_turns != 1 else ''}"
            label = f"{s.title}\n{turns} · {render.local_time(s.updated_at)}"
            tip = s.title
            if s.id in matches:
                found = matches[s.id].snippet
                found = found[:SNIPPET_CHARS] + ("…" if len(found) > SNIPPET_CHARS else "")
                label += f"\n“{found}”"
                tip += f"\n\n{matches[s.id].snippet}"
            items.append((s.id, label, tip))
        self.view.set_items(items, self.chat.conversation_id)
        self._show_empty(text)

    def _show_empty(self, text: str = "") -> None:
        if self.unavailable:
            message = f"Saved conversations are not available: {self.unavailable}"
        elif self.view.list.count():
            message = ""
        elif text:
            message = "No saved question or answer has these words."
        elif self.engine.conversations is None:
            message = "Opening saved conversations…"
        else:
            message = "No saved conversations yet: every answer is saved as it completes."
        self.view.empty.setText(message)
        self.view.empty.setVisible(bool(message))

    def _select(self, conversation_id) -> None:
        """Show which conversation the chat holds (none for a new one)."""
        item = self.view.item_of(conversation_id) if conversation_id is not None else None
        self.view.list.blockSignals(True)
        try:
            if item is None:
                self.view.list.clearSelection()
                self.view.list.setCurrentItem(None)
            else:
                self.view.list.setCurrentItem(item)
        finally:
            self.view.list.blockSignals(False)
        self.view.delete_button.setEnabled(self.view.selected_id() is not None)

    # -- actions ------------------------------------------------------------------------
    def _picked(self, item) -> None:
        conversation_id = item.data(ID_ROLE)
        # The conversation on screen is already shown (and may be answering): nothing to do.
        if conversation_id != self.chat.conversation_id:
            self.chat.open_conversation(conversation_id)

    def open(self, conversation_id: int) -> bool:
        """Restore a conversation (as a click on it in the list does)."""
        return self.chat.open_conversation(conversation_id)

    def confirm(self, question: str) -> bool:
        """A yes/no box (tests replace this method)."""
        answer = QMessageBox.question(self.view, "Dossier", question)
        return answer == QMessageBox.StandardButton.Yes

    def delete_selected(self) -> None:
        from dossier.conversations import ConversationsError

        conversation_id = self.view.selected_id()
        store = self.engine.conversations
        if conversation_id is None or store is None:
            return
        if conversation_id == self.chat.conversation_id and self.chat.busy:
            self.chat.view.status.setText(
                "This conversation is being answered: stop the answer (Esc) before deleting it."
            )
            return
        title = self.view.item_of(conversation_id).toolTip().split("\n")[0]
        if not self.confirm(f"Delete the conversation “{title}” and all its answers?"):
            return
        try:
            store.delete(conversation_id)
        except ConversationsError as exc:
            self.chat.view.status.setText(f"Could not delete the conversation: {exc}")
            return
        if conversation_id == self.chat.conversation_id:
            self.chat.new_conversation()
        self.refresh()
        self.chat.view.status.setText("Conversation deleted.")
