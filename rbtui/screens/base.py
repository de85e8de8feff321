"""The hooks the app calls on its screens, in one place.

The app (rbtui.app) asks the screen on top for what it shows, to export it or
send it elsewhere, and tells it about runs and a new store. Every screen
derives from `RbScreen` (a mode or a pushed screen) or `RbDialog` (a modal),
so each hook has one documented default and the app never probes a screen
for an attribute or compares class names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from rbengine.candidate import Candidate
    from rbengine.counterexample import Counterexample

    from ..messages import RunMessage

#: (name, zero-argument callback, help text): one command palette entry
PaletteCommand = tuple[str, Callable[[], object], str]
R = TypeVar("R")


class ScreenHooks:
    """What the app may ask of, or tell, any of its screens; defaults: nothing."""

    #: the help page (rbtui/help/<topic>.md) F1 opens; None: the mode's name
    HELP_TOPIC: str | None = None

    # ---- what is on screen, for exports and "edit in the Composer" --------------
    def current_candidate(self) -> Candidate | None:
        """The candidate this screen shows; the app falls back to the verdict's."""
        return None

    def current_counterexample(self) -> Counterexample | None:
        """The counterexample this screen shows; the app falls back to the verdict's."""
        return None

    def current_promela(self) -> str | None:
        """The PROMELA model shown here (Export PROMELA model)."""
        return None

    def current_run_csv(self) -> tuple[str, str] | None:
        """(CSV text, file name) of the run selected here (Export run history)."""
        return None

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Commands of this screen, after the app's own in the palette."""
        return ()

    # ---- what the app tells the screen ------------------------------------------
    def run_update(self, message: RunMessage) -> None:
        """A run started, progressed or ended (posted by its worker)."""

    def reload(self) -> None:
        """The store changed under the screen (created after the app's question)."""

    def take_pending(self) -> None:
        """Something was handed to this screen by the app while it was away
        (the Composer's candidate, the Verdict's verdict): show it now."""


class RbScreen(ScreenHooks, Screen):
    """A screen of the app: a mode (Runs, Composer, ...) or a pushed screen."""


class RbDialog(ScreenHooks, ModalScreen[R]):
    """A modal dialog of the app: it shows nothing to export."""
