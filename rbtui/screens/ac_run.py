"""An atomic commit run (live): episodes, machines verified, the first correct
machine, and the machine (the correct one, else the last verified) as a
transition table; v opens the last machine's counterexample as a chart, e the
machine in the atomic commit Composer."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from rbengine.atomic_commit.machine import Machine
from rbengine.atomic_commit.table import rows as table_rows
from rbengine.errors import RbError

from ..messages import RunMessage
from ..widgets.rounds_chart import RoundsChart
from .base import RbScreen


class ACRunScreen(RbScreen):
    HELP_TOPIC = "run"
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause/resume", id="ac-toggle-pause"),
        Binding("v", "verdict", "Counterexample", id="ac-verdict"),
        Binding("e", "edit", "Edit machine", id="ac-edit"),
        Binding("t", "step", "Step", id="ac-step-run"),
        Binding("escape", "back", "Runs", id="ac-back"),
    ]

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id
        self.row: dict = {}
        self.side: dict = {}
        self.machine: Machine | None = None
        self._shown_hash: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="ac-run-title")
        yield Static("", id="ac-run-progress")
        yield Static("", id="ac-machine-title")
        yield DataTable(id="ac-machine", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ac-machine", DataTable).add_columns("from", "received from the others",
                                                             "to")
        self.reload()
        self.set_interval(0.5, self._follow)

    def _follow(self) -> None:
        if self.is_current and (self.app.runs.is_active(self.run_id)
                                or self.row.get("status") == "running"):
            self.reload()

    def run_update(self, message: RunMessage) -> None:
        if message.run_id == self.run_id:
            self.reload()

    def reload(self) -> None:
        store = self.app.store
        if store is None:
            return
        try:
            self.row = store.run(self.run_id)
            self.side = store.load_checkpoint(self.run_id) or {}
        except RbError as exc:
            self.app.report_error(exc, "Store")
            return
        row, side = self.row, self.side
        status = self.app.runs.status_of(row)
        done = row["episodes_done"]
        h = self.app.runs.handle_for(self.run_id)
        if h is not None and h.progress is not None and self.app.runs.is_active(self.run_id):
            done = h.progress.episode
        from .runs import run_target
        self.query_one("#ac-run-title", Static).update(
            f"run {self.run_id}" + (f" ({row['name']})" if row.get("name") else "")
            + f": atomic commit {run_target(row)}, seed {row['seed']} - {status}"
            + (f" - {row['message']}" if row.get("message") else ""))
        fc = side.get("first_correct")
        first = ("no correct machine yet" if fc is None else
                 f"first correct machine: episode {fc['episode']}, after {fc['verified']} "
                 f"machines verified, {fc['seconds']:.2f} s")
        self.query_one("#ac-run-progress", Static).update(
            f"episodes {done}/{row['episodes_planned']}; {side.get('verified', 0)} machines "
            f"verified; {first}")
        entry, title = None, "no machine verified yet"
        if side.get("result") is not None:
            entry, title = side["result"], f"correct machine {fc['hash']}"
        elif side.get("last") is not None:
            last = side["last"]
            entry = last["machine"]
            title = (f"last machine verified (episode {last['episode']}, {last['hash']}): "
                     f"violates {last['property']} - v shows the counterexample")
        self.query_one("#ac-machine-title", Static).update(title)
        self.machine = Machine.from_json(entry) if entry is not None else None
        shown = self.machine.hash() if self.machine else None
        if shown != self._shown_hash:
            table = self.query_one("#ac-machine", DataTable)
            table.clear()
            if self.machine is not None:
                for r in table_rows(self.machine):
                    table.add_row(*r)
            self._shown_hash = shown

    def action_toggle_pause(self) -> None:
        runs = self.app.runs
        try:
            if runs.is_active(self.run_id):
                runs.pause(self.run_id)
            else:
                runs.resume(self.run_id)
        except RbError as exc:
            self.app.report_error(exc, "Run")
        self.reload()

    def action_verdict(self) -> None:
        last = self.side.get("last")
        if not last or last.get("counterexample") is None:
            self.notify("No counterexample: no incorrect machine is the last verified.",
                        severity="warning")
            return
        self.app.push_screen(ACVerdictScreen(last))

    def action_edit(self) -> None:
        """The machine shown here, in the atomic commit Composer, with the run's
        rounds, f and property set."""
        if self.machine is None:
            self.notify("No machine verified yet.", severity="warning")
            return
        try:
            cfg = json.loads(self.row["config"])
        except (KeyError, TypeError, ValueError):
            cfg = {}
        if cfg.get("partial") is False:
            self.notify("This run's crashes deliver all or nothing; the Composer verifies with "
                        "partial delivery.", severity="warning")
        self.app.edit_machine(self.machine, f"run {self.run_id}",
                              {k: cfg.get(k) for k in ("rounds", "f", "properties") if k in cfg})

    def action_step(self) -> None:
        """A copy of the run's learner in the atomic commit Stepper."""
        self.app.open_ac_stepper(self.run_id)

    def action_back(self) -> None:
        self.app.pop_screen()


class ACVerdictScreen(RbScreen):
    """The Verdict of an atomic commit machine: the violated property and the
    counterexample as a rounds-by-processes chart, lost messages marked."""

    HELP_TOPIC = "verdict"
    BINDINGS = [Binding("escape", "back", "Back", id="ac-verdict-back")]

    def __init__(self, verdict: dict) -> None:
        super().__init__()
        self.verdict = verdict

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="ac-verdict-summary")
        yield RoundsChart("", id="ac-rounds")
        yield Footer()

    def on_mount(self) -> None:
        from rbengine.atomic_commit.properties import DESCRIPTION
        v = self.verdict
        prop = v.get("property")
        by = ", ".join(x for x in (v.get("backend"), v.get("where")) if x)
        self.query_one("#ac-verdict-summary", Static).update(
            f"machine {v.get('hash')}" + (f" ({by})" if by else "") + ": "
            + ("correct" if v.get("correct") else
               f"incorrect - {prop}: {DESCRIPTION.get(prop, '')}"))
        self.query_one("#ac-rounds", RoundsChart).show(v.get("counterexample"))

    def action_back(self) -> None:
        self.app.pop_screen()
