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


class RunProgress(Message):
    """A run reported progress (posted from the run's worker)."""

    def __init__(self, run_id: Any, progress: Any) -> None:
        super().__init__()
        self.run_id = run_id
        self.progress = progress


class RunEnded(Message):
    """A run's worker returned: finished, paused, stopped, or failed (error set)."""

    def __init__(self, run_id: Any, status: str, error: str | None = None) -> None:
        super().__init__()
        self.run_id = run_id
        self.status = status
        self.error = error


class StepperDecision(Message):
    """The stepper's episode made one decision."""

    def __init__(self, token: int, decision: Any) -> None:
        super().__init__()
        self.token = token
        self.decision = decision


class StepperOutcome(Message):
    """The stepper's episode ended (outcome) or episodes were run in a batch."""

    def __init__(self, token: int, outcome: Any, episodes: int = 1) -> None:
        super().__init__()
        self.token = token
        self.outcome = outcome
        self.episodes = episodes


class StepperFailed(Message):
    def __init__(self, token: int, error: str) -> None:
        super().__init__()
        self.token = token
        self.error = error
