"""Typed messages that workers post to the UI thread.

Workers never touch widgets: they post one of these (post_message is
thread-safe) and the screen or the app updates itself in its handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from rbengine.atomic_commit.checker import CheckResult
    from rbengine.atomic_commit.learner_dqn import DQNLearner
    from rbengine.atomic_commit.learner_tabular import TabularLearner
    from rbengine.atomic_commit.machine import Machine
    from rbengine.atomic_commit.run import ACRunConfig
    from rbengine.atomic_commit.stepping import ACDecision, ACOutcome
    from rbengine.candidate import Candidate
    from rbengine.episode import Decision, Outcome
    from rbengine.matrix import Cell
    from rbengine.run import Progress, Run
    from rbengine.verdict import Verdict


class VerificationDone(Message):
    """A verification finished with a verdict."""

    def __init__(self, token: int, candidate: Candidate, params: dict, verdict: Verdict) -> None:
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


class RunMessage(Message):
    """What a run's worker tells the app; the app hands it to every screen
    (ScreenHooks.run_update). `run_id` is None until the run exists."""

    def __init__(self, key: int, run_id: int | None) -> None:
        super().__init__()
        self.key = key
        self.run_id = run_id


class RunStarted(RunMessage):
    """A run's worker created (or reopened) its run: `run_id` is now known."""

    run_id: int

    def __init__(self, key: int, run_id: int) -> None:
        super().__init__(key, run_id)


class RunProgress(RunMessage):
    """A run reported progress, from its worker."""

    run_id: int

    def __init__(self, key: int, run_id: int, progress: Progress) -> None:
        super().__init__(key, run_id)
        self.progress = progress


class RunEnded(RunMessage):
    """A run's worker returned: finished, paused, or failed (error set)."""

    def __init__(self, key: int, run_id: int | None, status: str, error: str | None = None) -> None:
        super().__init__(key, run_id)
        self.status = status
        self.error = error


class StepperAttached(Message):
    """The stepper's worker opened (or created) the run to step."""

    def __init__(self, token: int, run: Run, row: dict) -> None:
        super().__init__()
        self.token = token
        self.run = run
        self.row = row


class StepperDecision(Message):
    """The stepper's episode made one decision."""

    def __init__(self, token: int, decision: Decision) -> None:
        super().__init__()
        self.token = token
        self.decision = decision


class StepperOutcome(Message):
    """An episode ended; `episodes` > 1 after a batch, and `final` is False
    for the progress reports of a batch still running."""

    def __init__(self, token: int, outcome: Outcome, episodes: int = 1, final: bool = True) -> None:
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

    def __init__(self, token: int, cell: Cell) -> None:
        super().__init__()
        self.token, self.cell = token, cell


class MatrixEnded(Message):
    """A matrix view's worker stopped: finished, cancelled, or failed (error)."""

    def __init__(self, token: int, cancelled: bool = False, error: str | None = None) -> None:
        super().__init__()
        self.token, self.cancelled, self.error = token, cancelled, error


class MachineVerified(Message):
    """The atomic commit Composer's verifiers returned: one CheckResult each
    (rbengine.atomic_commit.checker), for `machine` under `params`."""

    def __init__(self, token: int, machine: Machine, params: dict,
                 results: list[CheckResult]) -> None:
        super().__init__()
        self.token, self.machine, self.params, self.results = token, machine, params, results


class MachineVerificationFailed(Message):
    """An atomic commit verification ended without a verdict (error or cancellation)."""

    def __init__(self, token: int, error: str, cancelled: bool = False) -> None:
        super().__init__()
        self.token, self.error, self.cancelled = token, error, cancelled


class LearnerCopied(Message):
    """The atomic commit Stepper's worker copied a run's learner (or made a new
    one): `learner` is the Stepper's own, `cfg` its ACRunConfig."""

    def __init__(self, token: int, learner: DQNLearner | TabularLearner, cfg: ACRunConfig,
                 run_id: int | None,
                 row: dict) -> None:
        super().__init__()
        self.token, self.learner, self.cfg, self.run_id, self.row = \
            token, learner, cfg, run_id, row


class LearnerDecision(Message):
    """The atomic commit Stepper's episode made one decision (an ACDecision)."""

    def __init__(self, token: int, decision: ACDecision) -> None:
        super().__init__()
        self.token, self.decision = token, decision


class LearnerEpisode(Message):
    """Atomic commit episodes ended: the last ACOutcome (None after a batch) and
    the last verification a run would have made (a CheckResult, or None).
    `final` is False for the progress reports of a batch still running."""

    def __init__(self, token: int, outcome: ACOutcome | None, check: CheckResult | None,
                 episodes: int = 1,
                 final: bool = True) -> None:
        super().__init__()
        self.token, self.outcome, self.check = token, outcome, check
        self.episodes, self.final = episodes, final


class LearnerFailed(Message):
    """An atomic commit Stepper action ended without a result ("stopped" when cancelled)."""

    def __init__(self, token: int, error: str) -> None:
        super().__init__()
        self.token, self.error = token, error
