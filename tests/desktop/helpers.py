"""Driving the window like a user: find a link in a rich-text view and click it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor


def anchors(browser) -> list[tuple[str, int]]:
    """(href, document position) of every link in a QTextBrowser, in order."""
    found = []
    block = browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            href = fragment.charFormat().anchorHref()
            if href:
                found.append((href, fragment.position()))
            it += 1
        block = block.next()
    return found


def click_anchor(qtbot, browser, prefix: str) -> str:
    """Click, with the mouse, the first link whose href starts with `prefix`; return the href."""
    href, position = next((h, p) for h, p in anchors(browser) if h.startswith(prefix))
    cursor = QTextCursor(browser.document())
    cursor.setPosition(position + 1)
    browser.setTextCursor(cursor)
    browser.ensureCursorVisible()
    rect = browser.cursorRect(cursor)
    point = QPoint(rect.left() - 2, rect.center().y())
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=point)
    return href
