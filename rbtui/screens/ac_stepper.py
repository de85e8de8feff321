"""The atomic commit Stepper: a learner's episode one decision at a time.

Each decision is one process choosing its next state in a round; the screen
shows what it saw (own state, multiset received), the learner's Q value of
every next state (the network's outputs; for the tabular learner its Q-table
row with visits and UCB scores) and the one chosen.

It works on a copy: the learner is read from the run's last checkpoint through
a read-only store, and nothing is ever written back, so stepping a run (even a
finished or running one) leaves its counts, status and learner as they were.
The episodes are those the run would play next (rbengine.atomic_commit.stepping,
with the run's verification every check_every episodes).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, Static
from textual.worker import get_current_worker

from rbengine.atomic_commit.machine import state_names
from rbengine.atomic_commit.model import step_inputs
from rbengine.atomic_commit.properties import decision as decision_name
from rbengine.atomic_commit.run import ACRunConfig, load_learner, new_learner
from rbengine.atomic_commit.stepping import ACDecision, ACOutcome, steps, verify_if_due
from rbengine.atomic_commit.table import received_text
from rbengine.errors import RbError

from ..messages import LearnerCopied, LearnerDecision, LearnerEpisode, LearnerFailed
from .base import RbScreen
from .new_run import NewRunScreen

STATE_STYLE = {"COMMIT": "bold green", "ABORT": "bold red"}


def _name(names, s: int) -> str:
    text = names[s]
    return f"[{STATE_STYLE[text]}]{text}[/]" if text in STATE_STYLE else text


class ACStepperScreen(RbScreen):
    HELP_TOPIC = "ac_stepper"
    BINDINGS = [
        Binding("space,n", "step", "Step", id="ac-step"),
        Binding("f", "finish", "Finish episode", id="ac-finish-episode"),
        Binding("r", "run_many", "Run N episodes", id="ac-run-episodes"),
        Binding("escape", "cancel", "Cancel", id="ac-stepper-cancel"),
        Binding("ctrl+n", "new_learner", "New learner", id="ac-stepper-new"),
        Binding("e", "edit", "Edit machine", id="ac-stepper-edit"),
        Binding("v", "verdict", "Counterexample", id="ac-stepper-verdict"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.learner = None  # the Stepper's own copy; only touched in the worker while busy
        self.cfg: ACRunConfig | None = None
        self.run_id: int | None = None
        self.row: dict = {}
        self.copied_at = 0  # the learner's episodes when it was copied
        self._gen = None
        self._token = 0
        self._busy = False
        self._cancel = threading.Event()
        self.decisions: list[ACDecision] = []
        self.outcome: ACOutcome | None = None
        self.check = None  # the last verification (CheckResult)
        self.check_episode: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="acs-title")
        with Horizontal(id="acs-body"):
            with Vertical(id="acs-left"):
                yield Label("this round (▶ the process deciding)", classes="section")
                yield DataTable(id="acs-round", cursor_type="row", zebra_stripes=True)
                yield Label("Q value of each next state (▶ chosen)", classes="section")
                yield DataTable(id="acs-q", cursor_type="row", zebra_stripes=True)
            with Vertical(id="acs-right"):
                yield Label("scenario", classes="section")
                yield Static("", id="acs-scenario")
                yield Label("decision", classes="section")
                yield Static("", id="acs-decision")
                yield Label("episode", classes="section")
                yield Static("", id="acs-episode")
                with Horizontal(classes="form-row"):
                    yield Label("episodes for r:", classes="form-label")
                    yield Input(value="50", id="acs-n", type="integer", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#acs-round", DataTable).add_columns("process", "state", "received", "next")
        self._q_columns()
        self._show_title()
        self.take_pending()

    def on_screen_resume(self) -> None:
        self.take_pending()

    def take_pending(self) -> None:
        pending = self.app.pending_ac_stepper
        if pending is None or not self.is_mounted:
            return
        self.app.pending_ac_stepper = None
        self.attach(*pending)

    def on_unmount(self) -> None:
        self._cancel.set()

    # ---- a learner to step --------------------------------------------------------------
    def attach(self, run_id: int | None, config: ACRunConfig | None = None) -> None:
        """Step a copy of run `run_id`'s learner, or a new learner of `config`."""
        if self._busy:
            self.notify("Wait for the step in flight (or Escape).", severity="warning")
            return
        if run_id is not None and run_id == self.run_id and self.learner is not None:
            return
        self.detach()
        self._token += 1
        self._busy = True
        self._show_title(f"copying {'run ' + str(run_id) if run_id else 'a new learner'} …")
        self._copy_worker(self._token, run_id, config)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ac-stepper")
    def _copy_worker(self, token: int, run_id: int | None, config) -> None:
        from rbengine.store import Store
        try:
            if run_id is None:
                cfg = config.validate()
                if cfg.seed is None:
                    import random
                    cfg = replace(cfg, seed=random.randrange(2**63))
                learner, row = new_learner(cfg), {}
            else:
                with Store(self.app.db_path, readonly=True) as store:
                    row = store.run(run_id)
                    if Store.problem_of(row) != "atomic-commit":
                        raise RbError(f"run {row['id']} is not an atomic commit run")
                    cfg = ACRunConfig.from_dict(json.loads(row["config"]))
                    saved = store.load_learner(row["id"])
                learner = load_learner(*saved) if saved is not None else new_learner(cfg)
        except Exception as exc:
            self.post_message(LearnerFailed(token, _text(exc)))
            return
        self.post_message(LearnerCopied(token, learner, cfg, row.get("id"), row))

    def on_learner_copied(self, message: LearnerCopied) -> None:
        if message.token != self._token:
            return
        self._busy = False
        self.learner, self.cfg = message.learner, message.cfg
        self.run_id, self.row = message.run_id, message.row
        self.copied_at = self.learner.episodes
        self.decisions, self.outcome, self.check, self.check_episode = [], None, None, None
        self._q_columns()
        self._show_decision(None)
        self.query_one("#acs-episode", Static).update("press space to make the first decision")
        self._show_title()

    def detach(self) -> None:
        """Drop the copy (an episode in flight with it: nothing was written anywhere)."""
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        self.learner = None

    # ---- stepping -------------------------------------------------------------------------
    def _ready(self) -> bool:
        if self.learner is None:
            self.notify("No learner: press Ctrl+N for a new one, or t on an atomic commit run "
                        "in Runs.", severity="warning")
            return False
        return not self._busy

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
            n = int(self.query_one("#acs-n", Input).value or "0")
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
        if what == "many":
            self._show_title(f"running {n} episodes … (Esc stops)")
        self._step_worker(self._token, what, n, self._cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ac-stepper")
    def _step_worker(self, token: int, what: str, n: int, cancel: threading.Event) -> None:
        learner = self.learner
        worker = get_current_worker()

        def cancelled() -> bool:
            return cancel.is_set() or worker.is_cancelled

        try:
            if what in ("step", "finish"):
                while True:
                    if self._gen is None:
                        self._gen = steps(learner)
                    item = next(self._gen)
                    if isinstance(item, ACDecision):
                        self.post_message(LearnerDecision(token, item))
                        if what == "step":
                            return
                        continue
                    self._gen.close()
                    self._gen = None
                    self.post_message(LearnerEpisode(token, item, verify_if_due(learner)))
                    return
            last, check, done, t0 = None, None, 0, time.monotonic()
            if self._gen is not None:  # the episode in flight first
                for item in self._gen:
                    last = item
                self._gen = None
                check = verify_if_due(learner) or check
                done += 1
            while done < n and not cancelled():
                learner.episode()
                check = verify_if_due(learner) or check
                done += 1
                last = None
                if time.monotonic() - t0 > 0.25:
                    t0 = time.monotonic()
                    self.post_message(LearnerEpisode(token, None, check, done, final=False))
            self.post_message(LearnerEpisode(token, last if done == 1 else None, check, done))
        except Exception as exc:
            if self._gen is not None:
                self._gen.close()
                self._gen = None
            self.post_message(LearnerFailed(token, "stopped" if cancelled() else _text(exc)))

    def action_cancel(self) -> None:
        if self._busy:
            self._cancel.set()

    # ---- messages ---------------------------------------------------------------------------
    def on_learner_decision(self, message: LearnerDecision) -> None:
        if message.token != self._token:
            return
        self._busy = False
        d = message.decision
        if d.step == 1:
            self.decisions, self.outcome = [], None
            self.query_one("#acs-episode", Static).update("in progress")
        self.decisions.append(d)
        self._show_decision(d)
        self._show_title()

    def on_learner_episode(self, message: LearnerEpisode) -> None:
        if message.token != self._token:
            return
        if message.check is not None:
            self.check, self.check_episode = message.check, self.learner.episodes
        if not message.final:
            self._show_title(f"ran {message.episodes} episodes … (Esc stops)")
            return
        self._busy = False
        if self._cancel.is_set():
            self.notify(f"Stopped after {message.episodes} episode(s).",
                        title="Atomic commit Stepper")
        self.outcome = message.outcome
        if message.outcome is None:
            self.decisions = []
            self._show_decision(None)
        self._show_episode(message.outcome, message.episodes)
        self._show_title()

    def on_learner_failed(self, message: LearnerFailed) -> None:
        if message.token != self._token:
            return
        self._busy = False
        if message.error == "stopped":
            self.notify("Stopped.", title="Atomic commit Stepper")
        else:
            self.app.report_error(message.error, "Atomic commit Stepper")
        self._show_title()

    # ---- display -------------------------------------------------------------------------------
    def _q_columns(self) -> None:
        table = self.query_one("#acs-q", DataTable)
        table.clear(columns=True)
        if self.cfg is not None and self.cfg.learner == "tabular":
            table.add_columns(" ", "next", "Q", "visits", "UCB")
        else:
            table.add_columns(" ", "next", "Q (network output)")

    def _show_title(self, extra: str = "") -> None:
        if self.cfg is None:
            text = ("[b]no learner[/]: t on an atomic commit run in Runs steps a copy of its "
                    "learner; Ctrl+N a new one")
        else:
            c = self.cfg
            what = (f"[b]run {self.run_id}[/] (copy at episode {self.copied_at}, never written "
                    f"back)" if self.run_id is not None
                    else "[b]a new learner[/] (not in the store)")
            done = self.learner.episodes if self.learner is not None else self.copied_at
            d = self.decisions[-1] if self.decisions and self.outcome is None else None
            where = (f"episode {d.episode}, round {d.round}, decision {d.step} (p{d.process})"
                     if d else f"{done} episodes done")
            text = f"{what} N={c.n} R={c.rounds} K={c.k} {c.properties} {c.learner}  {where}"
        if extra:
            text += f"   {extra}"
        self.query_one("#acs-title", Static).update(text)

    def _show_decision(self, d: ACDecision | None) -> None:
        round_table = self.query_one("#acs-round", DataTable)
        q_table = self.query_one("#acs-q", DataTable)
        round_table.clear()
        q_table.clear()
        info = self.query_one("#acs-decision", Static)
        scenario = self.query_one("#acs-scenario", Static)
        if d is None:
            info.update("")
            scenario.update("")
            return
        k, n = self.cfg.k, self.cfg.n
        names = state_names(k)
        scenario.update(self._scenario_text(d.votes, d.crashes))
        # the round: every process, what it received, what it chose so far
        alive = [not (i in d.crashes and d.crashes[i][0] < d.round) for i in range(n)]
        inputs = step_inputs(list(d.states), alive, d.crashes, d.round, n, k)
        chosen = {x.process: x.choice for x in self.decisions
                  if x.episode == d.episode and x.round == d.round}
        for i in range(n):
            if i in inputs:
                received = received_text(k, inputs[i][0])
                nxt = _name(names, chosen[i]) if i in chosen else "…"
            else:
                received = ""
                nxt = "crashed" if not alive[i] else "crashes now"
            round_table.add_row(("▶ " if i == d.process else "  ") + f"p{i}",
                                _name(names, d.states[i]), received, nxt)
        round_table.move_cursor(row=d.process)
        pos = d.choice_position
        for j, (a, q) in enumerate(zip(d.actions, d.q)):
            row = ["▶" if j == pos else "", _name(names, a), f"{q:+.1f}"]
            if d.visits is not None:
                s = d.scores[j]
                row += [str(d.visits[j]), "inf" if s == float("inf") else f"{s:+.1f}"]
            q_table.add_row(*row)
        q_table.move_cursor(row=pos)
        lines = [f"p{d.process} in round {d.round}: in {_name(names, d.key[0])}, received "
                 f"{received_text(k, d.key[1])}",
                 f"chose [b]{_name(names, d.choice)}[/]"]
        if d.epsilon is not None:
            lines[-1] += (" (greedy: the largest Q)" if d.greedy else
                          " ([yellow]exploring[/]: a random next state)")
            lines.append(f"epsilon {d.epsilon:.3f}: the chance of a random next state")
        elif d.fixed_at is not None:
            lines[-1] += f" (fixed at decision {d.fixed_at}: one machine per episode)"
        else:
            lines[-1] += " (UCB: the largest score" + ("; also the largest Q)" if d.greedy
                                                        else ")")
        lines.append("the learner trains when the episode ends")
        info.update("\n".join(lines))

    def _scenario_text(self, votes, crashes) -> str:
        names = state_names(self.cfg.k)
        lines = ["votes: " + " ".join(f"p{i} {names[v]}" for i, v in enumerate(votes))]
        for p, (r, to) in sorted(crashes.items()):
            reach = ", ".join(f"p{q}" for q in sorted(to)) or "nobody"
            lines.append(f"p{p} crashes in round {r}; its last message reaches {reach}")
        if not crashes:
            lines.append("no crash")
        return "\n".join(lines)

    def _show_episode(self, o: ACOutcome | None, episodes: int) -> None:
        box = self.query_one("#acs-episode", Static)
        lines = []
        if o is None:
            lines.append(f"ran {episodes} episode(s); the learner has played "
                         f"{self.learner.episodes}")
        else:
            ep = o.played
            self.query_one("#acs-scenario", Static).update(self._scenario_text(ep.votes,
                                                                               ep.crashes))
            lines.append(f"episode {o.episode}: {len(ep.steps)} decisions")
            lines += [f"p{i} {decision_name(f)}  reward {r:+.1f}"
                      for i, (f, r) in enumerate(zip(ep.flags, ep.rewards))]
            lines.append(f"each decision's target: its process's reward / R={self.cfg.rounds}")
        if self.check is not None:
            verdict = ("[b green]correct[/]" if self.check.correct else
                       f"[b red]incorrect[/] {self.check.property} (v: the counterexample, "
                       f"now in the learner's pool)")
            lines.append(f"greedy machine verified at episode {self.check_episode}: {verdict}")
        lines.append("e: the greedy machine in the atomic commit Composer")
        box.update("\n".join(lines))

    # ---- other screens -----------------------------------------------------------------------
    def action_edit(self) -> None:
        if self.learner is None or self._busy:
            self.notify("No learner to take a machine from.", severity="warning")
            return
        c = self.cfg
        what = f"run {self.run_id}'s copy" if self.run_id is not None else "the new learner"
        self.app.edit_machine(self.learner.machine(),
                              f"{what} at episode {self.learner.episodes}",
                              {"rounds": c.rounds, "f": c.f, "properties": c.properties})

    def action_verdict(self) -> None:
        if self.check is None or self.check.correct:
            self.notify("No counterexample: no incorrect machine verified here yet (every "
                        f"{self.learner.check_every if self.learner else 50} episodes).",
                        severity="warning")
            return
        from .ac_run import ACVerdictScreen
        cx = self.check.counterexample
        self.app.push_screen(ACVerdictScreen({
            "hash": cx.machine_hash, "correct": False, "property": self.check.property,
            "counterexample": cx.to_json(), "backend": "builtin",
            "where": f"episode {self.check_episode}"}))

    def action_new_learner(self) -> None:
        def chosen(cfg) -> None:
            if isinstance(cfg, ACRunConfig):
                self.attach(None, cfg)
            elif cfg is not None:
                self.notify("Reliable Broadcast runs are stepped in the Stepper (F4, Ctrl+N).",
                            severity="warning")
        self.app.push_screen(NewRunScreen(problem="atomic-commit"), chosen)

    def palette_commands(self):
        yield ("Atomic commit Stepper: new learner to step", self.action_new_learner, "")
        yield ("Atomic commit Stepper: finish the episode", self.action_finish, "")


def _text(exc: BaseException) -> str:
    if isinstance(exc, RbError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
