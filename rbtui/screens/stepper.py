"""Stepper: an episode one decision at a time, on a new or an existing run.

The episode is the learner's own generator (rbengine.episode): the stepper
shows exactly what a headless run does. Every learner call happens in the
stepper's thread worker, one at a time; a completed episode is checkpointed
into the run like any other.
"""

from __future__ import annotations

import threading
import time

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, Static
from textual.worker import get_current_worker

from rbengine.atomic_commit.run import ACRunConfig
from rbengine.episode import Decision
from rbengine.errors import RbError
from rbengine.notation import format_action, pseudo

from ..messages import StepperAttached, StepperDecision, StepperFailed, StepperOutcome
from ..present import verdict_from_record
from .base import RbScreen
from .new_run import NewRunScreen
from .runs import run_target


class StepperScreen(RbScreen):
    HELP_TOPIC = "stepper"
    BINDINGS = [
        Binding("space,n", "step", "Step", id="step"),
        Binding("f", "finish", "Finish episode", id="finish-episode"),
        Binding("r", "run_many", "Run N episodes", id="run-episodes"),
        Binding("escape", "cancel", "Cancel", id="stepper-cancel"),
        Binding("ctrl+n", "new_run", "New run", id="stepper-new-run"),
        Binding("e", "edit", "Edit candidate", id="stepper-edit"),
        Binding("v", "verdict", "Verdict", id="stepper-verdict"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run = None  # rbengine.run.Run, only touched in the worker (and at detach)
        self.run_id: int | None = None
        self.row: dict = {}
        self._store = None
        self._gen = None
        self._token = 0
        self._busy = False
        self._cancel = threading.Event()
        self.decisions: list = []
        self.outcome = None
        self.batch_done = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="stepper-title")
        with Horizontal(id="stepper-body"):
            with Vertical(id="stepper-left"):
                yield Label("allowed actions (▶ chosen)", classes="section")
                yield DataTable(id="allowed", cursor_type="row", zebra_stripes=True)
                yield Label("removed by heuristics", classes="section")
                yield DataTable(id="removed", cursor_type="row", zebra_stripes=True)
            with Vertical(id="stepper-right"):
                yield Label("partial candidate", classes="section")
                yield Static("", id="partial")
                yield Label("decision", classes="section")
                yield Static("", id="decision-info")
                yield Label("episode", classes="section")
                yield Static("", id="outcome")
                with Horizontal(classes="form-row"):
                    yield Label("episodes for r:", classes="form-label")
                    yield Input(value="50", id="stepper-n", type="integer", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.app.stepper_screen = self
        self.query_one("#allowed", DataTable).add_columns(" ", "action", "Q", "visits", "UCB")
        self.query_one("#removed", DataTable).add_columns("heuristic", "removed actions")
        self._show_title()
        pending = self.app.pending_stepper_run
        if pending is not None:
            self.app.pending_stepper_run = None
            self.attach(pending)

    # ---- attaching a run ------------------------------------------------------
    def attach(self, run_id: int | None, config=None) -> None:
        """Step run `run_id` (or a new run with `config`)."""
        if self._busy:
            self.notify("Wait for the step in flight (or Escape).", severity="warning")
            return
        if run_id is not None and run_id == self.run_id and self.run is not None:
            return
        if run_id is not None and self.app.runs.is_active(run_id):
            self.notify(f"Run {run_id} is running: pause it first (p in Runs).", severity="warning")
            return
        try:
            self.app.require_writable_store()
        except RbError as exc:
            self.app.report_error(exc, "Stepper")
            return
        self.detach()
        self._token += 1
        self._busy = True
        self._show_title(f"opening {'run ' + str(run_id) if run_id else 'a new run'} …")
        self._attach_worker(self._token, run_id, config)

    @work(thread=True, exclusive=True, exit_on_error=False, group="stepper")
    def _attach_worker(self, token: int, run_id: int | None, config) -> None:
        from rbengine.run import Run
        from rbengine.store import Store
        try:
            store = self._store or Store(self.app.db_path, create=False)
            self._store = store
            if run_id is None:
                run = Run.start(store, config)
            else:
                run = Run.hold(store, run_id)
            row = store.run(run.id)
        except Exception as exc:
            self.post_message(StepperFailed(token, _text(exc)))
            return
        self.post_message(StepperAttached(token, run, row))

    def on_stepper_attached(self, message: StepperAttached) -> None:
        if message.token != self._token:
            return
        self._busy = False
        self.run, self.run_id, self.row = message.run, message.run.id, message.row
        self.decisions, self.outcome, self._gen = [], None, None
        self._show_title()
        self._show_decision(None)
        self.query_one("#outcome", Static).update("press space to make the first decision")

    def detach(self) -> None:
        """Give the run back as it was (finished, paused) at a checkpoint; an
        unfinished episode is dropped."""
        if self.run is None:
            return
        if self._gen is not None:
            self._gen.close()  # the episode restores the learner as it was
            self._gen = None
        try:
            self.run.release()
        except Exception as exc:
            self.app.report_error(exc, "Stepper")
        self.run = None

    def on_unmount(self) -> None:
        self._cancel.set()
        if not self._busy:
            self.detach()

    # ---- stepping -----------------------------------------------------------------
    def _ready(self) -> bool:
        if self.run is None:
            self.notify("No run: press Ctrl+N for a new one, or t on a run in Runs.", severity="warning")
            return False
        if self._busy:
            return False
        return True

    def action_step(self) -> None:
        if self._ready():
            self._go("step")

    def action_finish(self) -> None:
        if self._ready():
            self._go("finish")

    def action_run_many(self) -> None:
        if not self._ready():
            return
        try:
            n = int(self.query_one("#stepper-n", Input).value or "0")
        except ValueError:
            n = 0
        if n <= 0:
            self.notify("Give a number of episodes.", severity="warning")
            return
        self._go("many", n)

    def _go(self, what: str, n: int = 0) -> None:
        self._token += 1
        self._busy = True
        self._cancel = threading.Event()
        self.batch_done = 0
        if what == "many":
            self._show_title(f"running {n} episodes … (Esc stops)")
        self._step_worker(self._token, what, n, self._cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="stepper")
    def _step_worker(self, token: int, what: str, n: int, cancel: threading.Event) -> None:
        run = self.run
        worker = get_current_worker()

        def cancelled() -> bool:
            return cancel.is_set() or worker.is_cancelled

        try:
            if what in ("step", "finish"):
                while True:
                    if self._gen is None:
                        self._gen = run.learner.episode(cancel=cancelled)
                    item = next(self._gen)
                    if isinstance(item, Decision):
                        self.post_message(StepperDecision(token, item))
                        if what == "step":
                            return
                        continue
                    self._gen = None
                    run.checkpoint()
                    self.post_message(StepperOutcome(token, item))
                    return
            # run n episodes (finishing the one in flight first)
            last, t0, done = None, time.monotonic(), 0
            if self._gen is not None:
                for item in self._gen:
                    last = item
                self._gen = None
                run.checkpoint()
                done += 1
            while done < n and not cancelled():
                last = run.learner.run_episode(cancel=cancelled)
                run.checkpoint()
                done += 1
                if time.monotonic() - t0 > 0.25:
                    t0 = time.monotonic()
                    self.post_message(StepperOutcome(token, last, episodes=done, final=False))
            self.post_message(StepperOutcome(token, last, episodes=done))
        except Exception as exc:
            if self._gen is not None:
                self._gen.close()
                self._gen = None
            self.post_message(StepperFailed(token, "stopped" if cancelled() else _text(exc)))

    def action_cancel(self) -> None:
        if self._busy:
            self._cancel.set()

    # ---- messages -------------------------------------------------------------------
    def on_stepper_decision(self, message: StepperDecision) -> None:
        if message.token != self._token:
            return
        self._busy = False
        d = message.decision
        if d.step == 1:
            self.decisions, self.outcome = [], None
            self.query_one("#outcome", Static).update("in progress")
        self.decisions.append(d)
        self._show_decision(d)
        self._show_title()

    def on_stepper_outcome(self, message: StepperOutcome) -> None:
        if message.token != self._token:
            return
        if not message.final:
            self.batch_done = message.episodes
            self._show_title(f"ran {message.episodes} episodes … (Esc stops)")
            return
        self._busy = False
        o = message.outcome
        self.outcome = o
        if o is None:
            self.query_one("#outcome", Static).update("no episode run")
            self._show_title()
            return
        self._show_outcome(o, message.episodes)
        self._show_title()

    def on_stepper_failed(self, message: StepperFailed) -> None:
        if message.token != self._token:
            return
        self._busy = False
        if message.error == "stopped":
            self.notify("Stopped; the episode in flight was dropped.", title="Stepper")
        else:
            self.app.report_error(message.error, "Stepper")
        self._show_title()

    # ---- display ----------------------------------------------------------------------
    def _show_title(self, extra: str = "") -> None:
        if self.run_id is None:
            text = "[b]no run[/]: Ctrl+N steps a new run; in Runs, t steps the selected run"
        else:
            learner = self.run.learner if self.run is not None else None
            done = learner.episodes_done if learner else self.row.get("episodes_done", 0)
            d = self.decisions[-1] if self.decisions and self.outcome is None else None
            where = (f"episode {d.episode}, decision {d.step}, phase [b]{d.phase}[/]" if d
                     else f"{done} episodes done")
            text = f"[b]run {self.run_id}[/] {run_target(self.row)}  {where}"
        if extra:
            text += f"   {extra}"
        self.query_one("#stepper-title", Static).update(text)

    def _show_decision(self, d) -> None:
        allowed = self.query_one("#allowed", DataTable)
        removed = self.query_one("#removed", DataTable)
        allowed.clear()
        removed.clear()
        info = self.query_one("#decision-info", Static)
        partial = self.query_one("#partial", Static)
        if d is None:
            info.update("")
            partial.update("")
            return
        chosen = d.choice_position
        guide = d.guide or [None] * len(d.allowed)
        for i, (a, q, v, s, g) in enumerate(zip(d.allowed, d.q, d.visits, d.scores, guide)):
            mark = "▶" if i == chosen else ""
            score = "inf" if s == float("inf") else f"{s:.3f}"
            if s == float("inf") and g is not None:
                score += f" (guide {g:.3f})"  # untried: tried in the guide's order
            allowed.add_row(mark, format_action(a), f"{q:.3f}", str(v), score)
        allowed.move_cursor(row=chosen)
        for gh, acts in sorted(d.removed.items(), key=lambda kv: _gh_order(kv[0])):
            removed.add_row(gh, f"{len(acts)}: " + ", ".join(format_action(a) for a in acts))
        after = d.candidate.with_action(d.phase, d.choice) if not d.choice.is_stop else d.candidate
        partial.update(pseudo(after))
        lines = [f"chose [b]{escape(format_action(d.choice))}[/] in {d.phase}"
                 + (" (greedy)" if d.greedy else ""),
                 f"runtime reward {d.reward:+.1f}",
                 "Q updates are applied when the episode completes"]
        info.update("\n".join(lines))

    def _show_outcome(self, o, episodes: int) -> None:
        box = self.query_one("#outcome", Static)
        if o.candidate is None:
            box.update("the heuristics allow no candidate that is not known incorrect (space exhausted)")
            return
        verdict = "[b green]CORRECT[/]" if o.correct else "[b red]INCORRECT[/]"
        summary = escape(o.verdict.summary[len("incorrect"):]) if o.verdict and not o.correct else ""
        lines = []
        if episodes > 1:
            lines.append(f"ran {episodes} episodes; the last one:")
        lines += [f"episode {o.episode}: {verdict} {summary}" + (" (cached verdict)" if o.cached else ""),
                  f"accumulated runtime reward {o.accumulated:+.1f}, bonus {o.bonus:+.1f}"]
        updates = getattr(o, "updates", None) or []
        if updates:
            lines.append("Q updates (old→new): " + "  ".join(f"{u.old:.2f}→{u.new:.2f}" for u in updates))
        lines.append(f"states explored {o.states_explored}"
                     + (f", GH9 blocked {o.new_dead} state(s)" if o.new_dead else ""))
        lines.append("v: verdict   e: edit in Composer")
        box.update("\n".join(lines))
        self.query_one("#partial", Static).update(pseudo(o.candidate))

    # ---- other screens -------------------------------------------------------------------
    def current_candidate(self):
        if self.outcome is not None and self.outcome.candidate is not None:
            return self.outcome.candidate
        if self.decisions:
            d = self.decisions[-1]
            return d.candidate.with_action(d.phase, d.choice) if not d.choice.is_stop else d.candidate
        return None

    def action_edit(self) -> None:
        c = self.current_candidate()
        if c is None:
            self.notify("Nothing to edit yet.", severity="warning")
            return
        self.app.edit_candidate(c, "the stepper")

    def action_verdict(self) -> None:
        o = self.outcome
        if o is None or o.verdict is None:
            self.notify("Finish an episode first (f).", severity="warning")
            return
        try:
            verdict = verdict_from_record(o.verdict)
        except (KeyError, TypeError, ValueError) as exc:
            self.app.report_error(f"cannot read the verdict: {exc}", "Stepper")
            return
        self.app.open_verdict(o.candidate, verdict)

    def action_new_run(self) -> None:
        def chosen(cfg) -> None:
            if isinstance(cfg, ACRunConfig):  # the atomic commit Stepper steps those
                self.app.open_ac_stepper(None, cfg)
            elif cfg is not None:
                self.attach(None, cfg)
        self.app.push_screen(NewRunScreen(), chosen)

    def palette_commands(self):
        yield ("Stepper: new run to step", self.action_new_run, "")
        yield ("Stepper: finish the episode", self.action_finish, "")


def _gh_order(name: str) -> tuple:
    return (0, int(name[2:])) if name.startswith("GH") and name[2:].isdigit() else (1, name)


def _text(exc: BaseException) -> str:
    if isinstance(exc, RbError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
