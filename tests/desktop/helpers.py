"""Driving the window like a user: click a link in the chat transcript."""

from __future__ import annotations

from PySide6.QtCore import Qt


def click_anchor(qtbot, chat_panel, prefix: str) -> str:
    """Click, with the mouse, the first link whose href starts with `prefix`; return the href."""
    href, position = next((h, p) for h, p in chat_panel.links() if h.startswith(prefix))
    point = chat_panel.link_point(position)
    qtbot.mouseClick(chat_panel.transcript.viewport(), Qt.MouseButton.LeftButton, pos=point)
    return href
