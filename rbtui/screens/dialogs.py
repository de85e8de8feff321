"""Small modal screens: help pages, a confirmation, a file path prompt."""

from __future__ import annotations

from importlib import resources

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Markdown

from .base import RbDialog


def help_text(topic: str) -> str:
    """The Markdown help page of a screen (rbtui/help/<topic>.md)."""
    try:
        return (resources.files("rbtui") / "help" / f"{topic}.md").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return f"# {topic}\n\nNo help page for this screen yet."


class HelpScreen(RbDialog[None]):
    """A screen's help page; F1 or Escape closes it."""

    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close help", id="close-help"),
    ]

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body", classes="dialog"):
            yield Markdown(help_text(self.topic), id="help-markdown")


class ConfirmScreen(RbDialog[bool]):
    """Yes/no question; returns True only on an explicit yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small-dialog"):
            yield Label(self.question, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes", variant="error", id="yes")
                yield Button("No", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PathScreen(RbDialog[str | None]):
    """Asks for a file path; returns it, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path-cancel")]

    def __init__(self, title: str, default: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small-dialog"):
            yield Label(self.title_text, id="path-title")
            yield Input(value=self.default, placeholder="path/to/file", id="path-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.dismiss(self.query_one(Input).value.strip() or None)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
