"""The rbtui Textual application: modes (screens), help, palette, exports, errors.

The learner and the oracle only ever run in thread workers; their results come
back as typed messages (rbtui.messages). Long runs belong to the app, not to a
screen, so they keep going while the user moves between screens.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.worker import WorkerCancelled

from rbengine.candidate import Candidate
from rbengine.errors import RbError
from rbengine.store import Store, default_path
from rbengine.verdict import Verdict

from .messages import RunEnded, RunMessage, RunProgress, RunStarted
from .palette import RbtuiCommands, call
from .runs import RunManager
from .screens.ac_composer import ACComposerScreen
from .screens.ac_stepper import ACStepperScreen
from .screens.base import PaletteCommand, ScreenHooks
from .screens.composer import ComposerScreen
from .screens.dialogs import ConfirmScreen, HelpScreen, PathScreen
from .screens.run import RunScreen
from .screens.runs import RunsScreen
from .screens.stepper import StepperScreen
from .screens.verdict import VerdictScreen

UI_SWITCH_INTERVAL = 0.0005  # seconds
#: Longest wait, per kind of worker, for runs and the Stepper to checkpoint on quit.
QUIT_TIMEOUT = 8.0  # seconds


@dataclass
class VerdictView:
    """What the Verdict screen shows: a candidate, its verdict, and the check in focus."""

    candidate: Candidate
    verdict: Verdict
    check: int | None = None
    params: dict = field(default_factory=dict)
    version: int = 0


class RbtuiApp(App):
    CSS_PATH = Path(__file__).with_name("rbtui.tcss")
    TITLE = "rbtui"
    SUB_TITLE = "Reliable Broadcast workbench"
    COMMANDS = App.COMMANDS | {RbtuiCommands}
    MODES = {
        "runs": RunsScreen,
        "composer": ComposerScreen,
        "stepper": StepperScreen,
        "verdict": VerdictScreen,
        "ac-composer": ACComposerScreen,
        "ac-stepper": ACStepperScreen,
    }
    BINDINGS = [
        Binding("f1", "help", "Help", id="help", priority=True),
        Binding("f2", "goto('runs')", "Runs", id="goto-runs", priority=True),
        Binding("f3", "goto('composer')", "Composer", id="goto-composer", priority=True),
        Binding("f4", "goto('stepper')", "Stepper", id="goto-stepper", priority=True),
        Binding("f5", "goto('verdict')", "Verdict", id="goto-verdict", priority=True),
    ]

    def __init__(self, db_path: str | Path | None = None, *, start: str | None = None) -> None:
        super().__init__()
        self.db_path = Path(db_path) if db_path else default_path()
        self.start_mode = start
        self.runs = RunManager(self)
        self._store: Store | None = None
        self._store_failed = False
        self.ask_create = False  # a missing store is created after a yes in a dialog
        self.pending_stepper_run: int | None = None
        self.stepper_screen: StepperScreen | None = None  # set when the Stepper is mounted
        self.verdict_view: VerdictView | None = None
        self.pending_candidate: tuple[Candidate, str] | None = None
        #: (machine, source, settings) for the atomic commit Composer
        self.pending_machine: tuple | None = None
        #: (run id or None, ACRunConfig or None) for the atomic commit Stepper
        self.pending_ac_stepper: tuple | None = None
        self._verdict_version = 0
        self._switch_interval = sys.getswitchinterval()

    # ---- modes -------------------------------------------------------------
    def on_mount(self) -> None:
        # A CPU-bound worker (oracle, learner) hands the GIL back to the UI thread
        # after this long at most; each step of the event loop waits for it once.
        # 0.5 ms instead of Python's 5 ms halves the key latency while verifying
        # (bench/tui_latency.py) and costs nothing while the UI is idle.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(UI_SWITCH_INTERVAL)
        first = self.start_mode or "runs"
        self.switch_mode(first)
        if self.ask_create and not self.db_path.exists():
            self._ask_create()

    def action_goto(self, mode: str) -> None:
        self.switch_mode(mode)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        topic = self.hooks.HELP_TOPIC if self.hooks is not None else None
        topic = topic or self.current_mode
        self.push_screen(HelpScreen(topic))

    # ---- the store (UI thread's connection; each run worker has its own) -----
    @property
    def store(self) -> Store | None:
        """The Store, or None when it cannot be opened (reported once)."""
        if self._store is None and not self._store_failed:
            if self.ask_create and not self.db_path.exists():
                return None  # the question asked at mount decides
            try:
                self._store = Store(self.db_path, readonly=None)
            except RbError as exc:
                self._store_failed = True
                self.report_error(exc, "Store")
            else:
                if self._store.readonly:
                    self.notify(f"{self.db_path} cannot be written: opened read-only, to browse "
                                f"(runs cannot be started, resumed, stepped or deleted).",
                                title="Store", severity="warning", timeout=10)
        return self._store

    @property
    def store_readonly(self) -> bool:
        store = self.store
        return store is not None and store.readonly

    def require_writable_store(self) -> None:
        """Raise a readable RbError unless runs can be recorded in the store."""
        store = self.store
        if store is None:
            raise RbError(f"no store is open ({self.db_path})")
        if store.readonly:
            raise RbError(f"{self.db_path} is open read-only")

    def _ask_create(self) -> None:
        parent = self.db_path.parent
        where = "" if parent.exists() else f" (and the directory {parent})"
        question = (f"There is no store at {self.db_path}. Create a new, empty store there{where}? "
                    f"(No: the app runs without a store.)")

        def answer(yes: bool | None) -> None:
            self.ask_create = False
            if not yes:
                self._store_failed = True
                self.notify(f"No store open: nothing was created at {self.db_path}.",
                            title="Store", severity="warning")
            elif self.store is not None:
                self.notify(f"Created the store {self.db_path}.", title="Store")
            if self.hooks is not None:
                self.hooks.reload()
        self.push_screen(ConfirmScreen(question), answer)

    # ---- runs ----------------------------------------------------------------
    def _run_message(self, message: RunMessage) -> None:
        for screen in list(self.screen_stack):
            if isinstance(screen, ScreenHooks) and screen.is_mounted:
                screen.run_update(message)

    def on_run_started(self, message: RunStarted) -> None:
        handle = self.runs.handles.get(message.key)
        if handle is not None:
            handle.run_id = message.run_id
        self._run_message(message)

    def on_run_progress(self, message: RunProgress) -> None:
        self.runs.on_progress(message)
        self._run_message(message)

    def on_run_ended(self, message: RunEnded) -> None:
        which = f"run {message.run_id}" if message.run_id is not None else "the new run"
        if message.error:
            self.report_error(f"{which} failed: {message.error}", "Run")
        else:
            self.notify(f"{which.capitalize()} {message.status}.", title="Run")
        self._run_message(message)

    def open_run(self, run_id: int) -> None:
        """The live view of a run (on the Runs screen's stack)."""
        from .screens.ac_run import ACRunScreen, ACVerdictScreen
        self.switch_mode("runs")
        if isinstance(self.screen, ACVerdictScreen):
            self.pop_screen()
        if isinstance(self.screen, (RunScreen, ACRunScreen)):
            if self.screen.run_id == run_id:
                return
            self.pop_screen()
        store = self.store
        try:
            row = store.run(run_id) if store is not None else {}
        except RbError:
            row = {}
        if (row.get("problem") or "reliable-broadcast") == "atomic-commit":
            self.push_screen(ACRunScreen(run_id))
        else:
            self.push_screen(RunScreen(run_id))

    def open_stepper(self, run_id: int | None) -> None:
        self.switch_mode("stepper")
        screen = self.screen
        if isinstance(screen, StepperScreen) and screen.is_mounted:
            screen.attach(run_id)
        else:
            self.pending_stepper_run = run_id

    def open_ac_stepper(self, run_id: int | None, config=None) -> None:
        """Step a copy of atomic commit run `run_id`'s learner (or a new learner
        of `config`) in the atomic commit Stepper."""
        self.pending_ac_stepper = (run_id, config)
        self.switch_mode("ac-stepper")
        if self.hooks is not None:
            self.hooks.take_pending()

    def stepper_run_id(self) -> int | None:
        """The run the Stepper holds open, if any."""
        stepper = self.stepper_screen
        return stepper.run_id if stepper is not None and stepper.run is not None else None

    async def action_quit(self) -> None:
        """Quit; every run pauses after its episode in flight (checkpointed).

        Runs are asked to stop first, so that nothing quitting waits for is
        still computing; each wait is bounded, so quitting never hangs: a run
        whose episode outlives QUIT_TIMEOUT is left as a killed run is, with
        its last checkpoint, resumable.
        """
        active = self.runs.active()
        if active:
            self.notify(f"Pausing {len(active)} run(s) at a checkpoint…", title="Quit")
            self.runs.stop_all()
        stepper = self.stepper_screen
        if stepper is not None:
            stepper.action_cancel()
            # never an empty list: wait_for_complete([]) waits for every worker
            busy = [w for w in self.workers if w.group == "stepper" and not w.is_finished]
            if busy:
                await self._bounded(self.workers.wait_for_complete(busy))
            stepper.detach()
        if active:
            await self._bounded(self.runs.wait_all())
        self.exit()

    async def _bounded(self, waiting) -> None:
        try:
            await asyncio.wait_for(waiting, QUIT_TIMEOUT)
        except (asyncio.TimeoutError, WorkerCancelled):
            pass

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        self.runs.stop_all()
        if self._store is not None:
            self._store.close()

    # ---- errors ------------------------------------------------------------
    def report_error(self, error: BaseException | str, title: str = "Error") -> None:
        """One readable notification; the app stays up."""
        if isinstance(error, RbError):
            text = str(error)
        elif isinstance(error, BaseException):
            text = f"{type(error).__name__}: {error}"
        else:
            text = error
        self.notify(text, title=title, severity="error", timeout=8, markup=False)

    # ---- moving candidates and verdicts between screens -------------------
    def edit_candidate(self, candidate: Candidate, source: str = "") -> None:
        """Open `candidate` in the Composer."""
        self.pending_candidate = (candidate, source)
        self.switch_mode("composer")
        if self.hooks is not None:
            self.hooks.take_pending()

    def edit_machine(self, machine, source: str = "", settings: dict | None = None) -> None:
        """Open an atomic commit machine in its Composer; settings: the rounds,
        f and property set to verify it with (a run's)."""
        self.pending_machine = (machine, source, dict(settings or {}))
        self.switch_mode("ac-composer")
        if self.hooks is not None:
            self.hooks.take_pending()

    def set_verdict(self, candidate: Candidate, verdict, check: int | None = None,
                    params: dict | None = None) -> None:
        """Make `verdict` the one the Verdict screen shows (without going there)."""
        self._verdict_version += 1
        self.verdict_view = VerdictView(candidate, verdict, check, dict(params or {}),
                                        self._verdict_version)

    def open_verdict(self, candidate: Candidate, verdict, check: int | None = None,
                     params: dict | None = None) -> None:
        self.set_verdict(candidate, verdict, check, params)
        self.switch_mode("verdict")
        if self.hooks is not None and self.screen.is_mounted:
            self.hooks.take_pending()

    # ---- palette -----------------------------------------------------------
    def palette_commands(self, screen) -> Iterable[PaletteCommand]:
        titles = {"runs": "Runs: table of learning runs",
                  "composer": "Composer: build and verify a candidate",
                  "stepper": "Stepper: step an episode decision by decision",
                  "verdict": "Verdict: counterexample, sequence chart, PROMELA"}
        for mode, help_text in titles.items():
            yield (f"Go to {mode.capitalize()}", call(self.switch_mode, mode), help_text)
        yield ("Go to the atomic commit Composer", call(self.switch_mode, "ac-composer"),
               "Edit a transition table, see its state diagram, verify it")
        yield ("Go to the atomic commit Stepper", call(self.switch_mode, "ac-stepper"),
               "A learner's episode decision by decision, with its Q values")
        yield ("Help for this screen", self.action_help, "Open the help page (F1)")
        yield ("Edit this screen's candidate in the Composer", self.action_edit_current,
               "Send the candidate shown here to the Composer")
        for kind, label in EXPORTS.items():
            yield (f"Export {label}", call(self.action_export, kind), f"Write the {label} to a file")
        if isinstance(screen, ScreenHooks):
            yield from screen.palette_commands()

    def action_edit_current(self) -> None:
        c = self.current_candidate()
        if c is None:
            self.notify("No candidate on this screen.", severity="warning")
            return
        self.edit_candidate(c, f"the {self.current_mode} screen")

    # ---- exports -----------------------------------------------------------
    @property
    def hooks(self) -> ScreenHooks | None:
        """The screen on top, when it is one of the app's (not a dialog of Textual's)."""
        screen = self.screen
        return screen if isinstance(screen, ScreenHooks) else None

    def current_candidate(self) -> Candidate | None:
        c = self.hooks.current_candidate() if self.hooks is not None else None
        if c is None and self.verdict_view is not None:
            c = self.verdict_view.candidate
        return c

    def current_counterexample(self):
        cx = self.hooks.current_counterexample() if self.hooks is not None else None
        if cx is None and self.verdict_view is not None and self.verdict_view.verdict is not None:
            cx = self.verdict_view.verdict.counterexample
        return cx

    def export_text(self, kind: str) -> tuple[str, str]:
        """(text, default file name) of an export, or raises RbError."""
        from rbengine.notation import latex, pseudo
        if kind.startswith("candidate"):
            c = self.current_candidate()
            if c is None:
                raise RbError("no candidate on this screen to export")
            name = f"candidate-{c.content_hash()[:8]}"
            if kind == "candidate-json":
                return c.dumps(), name + ".json"
            if kind == "candidate-text":
                return c.notation() + "\n", name + ".txt"
            if kind == "candidate-pseudo":
                return pseudo(c) + "\n", name + ".pseudo.txt"
            return latex(c) + "\n", name + ".tex"
        if kind.startswith("counterexample"):
            cx = self.current_counterexample()
            if cx is None:
                raise RbError("no counterexample to export (verify an incorrect candidate first)")
            name = f"counterexample-{cx.mode}-{cx.scenario}"
            if kind == "counterexample-json":
                return json.dumps(cx.to_json(), indent=2) + "\n", name + ".json"
            return cx.text() + "\n", name + ".txt"
        if kind == "promela":
            code = self.hooks.current_promela() if self.hooks is not None else None
            if not code:
                raise RbError("no PROMELA model on this screen (open a verdict first)")
            return code, "model.pml"
        if kind == "run-csv":
            data = self.hooks.current_run_csv() if self.hooks is not None else None
            if not data:
                raise RbError("no run selected to export")
            return data
        raise RbError(f"unknown export {kind!r}")

    def action_export(self, kind: str) -> None:
        try:
            text, default = self.export_text(kind)
        except RbError as exc:
            self.report_error(exc, "Export")
            return

        def write(path: str | None) -> None:
            if not path:
                return
            try:
                target = Path(path).expanduser()
                target.write_text(text, encoding="utf-8")
            except OSError as exc:
                self.report_error(f"cannot write {path}: {exc.strerror or exc}", "Export")
                return
            self.notify(f"Wrote {target}", title="Export")

        self.push_screen(PathScreen(f"Export {EXPORTS[kind]} to:", str(Path.cwd() / default)), write)


EXPORTS = {
    "candidate-json": "candidate as JSON",
    "candidate-text": "candidate in compact notation",
    "candidate-pseudo": "candidate as pseudo-code",
    "candidate-latex": "candidate as LaTeX",
    "counterexample-text": "counterexample as text",
    "counterexample-json": "counterexample as JSON",
    "promela": "PROMELA model",
    "run-csv": "run history as CSV",
}
