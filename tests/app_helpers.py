"""Shared helpers of the Textual app tests (Pilot, a real temporary store)."""

from __future__ import annotations

import asyncio
import time

from rbtui.app import RbtuiApp

SIZE = (120, 40)


class RecordingApp(RbtuiApp):
    """The real app, remembering its notifications for assertions."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message, *, title="", severity="information", **kwargs):
        self.notes.append((severity, str(message)))
        return super().notify(message, title=title, severity=severity, **kwargs)

    def errors(self) -> list[str]:
        return [m for s, m in self.notes if s == "error"]


async def wait_until(pilot, condition, timeout: float = 15.0, what: str = "condition") -> None:
    """Let the app run until `condition()` holds (the UI keeps processing events)."""
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


def run(coro):
    return asyncio.run(coro)


def send_key(app, key: str) -> None:
    """Deliver a key as the terminal would, without Pilot's wait for an idle
    process (which lasts while a worker keeps a core busy)."""
    from textual import events
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


def screen_text(app) -> str:
    """What the terminal shows, as plain text (as a screenshot would)."""
    import io

    from rich.console import Console
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True,
                                                       screen_stack=app._background_screens))
    return console.export_text()
