"""Typed messages that workers post to the UI thread.

Workers never touch widgets: they post one of these (post_message is
thread-safe) and the screen or the app updates itself in its handler.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class VerificationDone(Message):
    """A verification finished with a verdict."""

    def __init__(self, token: int, candidate, params: dict, verdict) -> None:
        super().__init__()
        self.token = token
        self.candidate = candidate
        self.params = params
        self.verdict = verdict


class VerificationFailed(Message):
    """A verification ended without a verdict (error or cancellation)."""

    def __init__(self, token: int, error: str, cancelled: bool = False) -> None:
        super().__init__()
        self.token = token
        self.error = error
        self.cancelled = cancelled


class RunStarted(Message):
    """A run's worker created (or reopened) its run: `run_id` is now known."""

    def __init__(self, key: int, run_id: int) -> None:
        super().__init__()
        self.key = key
        self.run_id = run_id


class RunProgress(Message):
    """A run reported progress (an rbengine.run.Progress), from its worker."""

    def __init__(self, key: int, run_id: int, progress: Any) -> None:
        super().__init__()
        self.key = key
        self.run_id = run_id
        self.progress = progress


class RunEnded(Message):
    """A run's worker returned: finished, paused, or failed (error set)."""

    def __init__(self, key: int, run_id: int | None, status: str, error: str | None = None) -> None:
        super().__init__()
        self.key = key
        self.run_id = run_id
        self.status = status
        self.error = error


class StepperAttached(Message):
    """The stepper's worker opened (or created) the run to step."""

    def __init__(self, token: int, run: Any, row: dict) -> None:
        super().__init__()
        self.token = token
        self.run = run
        self.row = row


class StepperDecision(Message):
    """The stepper's episode made one decision (an rbengine.episode.Decision)."""

    def __init__(self, token: int, decision: Any) -> None:
        super().__init__()
        self.token = token
        self.decision = decision


class StepperOutcome(Message):
    """An episode ended (its Outcome); `episodes` > 1 after a batch, and
    `final` is False for the progress reports of a batch still running."""

    def __init__(self, token: int, outcome: Any, episodes: int = 1, final: bool = True) -> None:
        super().__init__()
        self.token = token
        self.outcome = outcome
        self.episodes = episodes
        self.final = final


class StepperFailed(Message):
    """A stepper action ended without a result ("stopped" when cancelled)."""

    def __init__(self, token: int, error: str) -> None:
        super().__init__()
        self.token = token
        self.error = error


class MatrixCell(Message):
    """One cell of a matrix view computed (rbengine.matrix.Cell)."""

    def __init__(self, token: int, cell: Any) -> None:
        super().__init__()
        self.token, self.cell = token, cell


class MatrixEnded(Message):
    """A matrix view's worker stopped: finished, cancelled, or failed (error)."""

    def __init__(self, token: int, cancelled: bool = False, error: str | None = None) -> None:
        super().__init__()
        self.token, self.cancelled, self.error = token, cancelled, error
