"""Every question and message box the editor shows, in one place.

Keeping them here gives one spot to word them, and lets tests answer them
(monkeypatch a function) without a modal dialog blocking the test.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

FILE_FILTER = "NetBuilder graphs (*.json *.nbg);;All files (*)"


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """'save', 'discard' or 'cancel'."""
    buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
               | QMessageBox.StandardButton.Cancel)
    answer = QMessageBox.question(parent, "Unsaved changes",
                                  f"Save the changes to “{name}” before closing it?", buttons,
                                  QMessageBox.StandardButton.Save)
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")


def ask_restore(parent: QWidget | None, name: str, when: str) -> bool:
    answer = QMessageBox.question(
        parent, "Restore unsaved work?",
        f"NetBuilder closed unexpectedly while “{name}” had unsaved changes (autosaved {when}).\n\n"
        "Restore that work now?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    return answer == QMessageBox.StandardButton.Yes


def open_file_name(parent: QWidget | None, folder: str = "") -> str:
    path, _ = QFileDialog.getOpenFileName(parent, "Open network", folder, FILE_FILTER)
    return path


def save_file_name(parent: QWidget | None, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, "Save network as", suggested, FILE_FILTER)
    return path


def show_text(parent: QWidget | None, title: str, html: str) -> None:
    box = QMessageBox(QMessageBox.Icon.NoIcon, title, html, QMessageBox.StandardButton.Close, parent)
    box.exec()


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """A line of text (a group's new name), or None when cancelled."""
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None
