"""Runs: every learning run in the store; start, open, resume, pause, delete."""

from __future__ import annotations

import csv
import io
import json

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Header, Static

from rbengine import metrics
from rbengine import vocabulary as vocab_mod
from rbengine.cache import VerdictCache
from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.errors import RbError
from rbengine.scenario import PAPER_N
from rbengine.size import MAX_N
from rbengine.verdict import Verdict

from ..messages import RunMessage, RunProgress
from ..present import verdict_from_record
from ..runs import STATUS_STYLE, is_elsewhere
from .base import RbScreen
from .dialogs import ConfirmScreen
from .new_run import NewRunScreen

#: "correct candidates": distinct candidates (episodes are counted in the live view)
COLUMNS = ("id", "target", "episodes", "status", "vocabulary", "correct candidates", "best cost",
           "last activity", "problem")


def is_atomic_commit(row: dict) -> bool:
    return (row.get("problem") or "reliable-broadcast") == "atomic-commit"


def run_target(row: dict) -> str:
    try:
        cfg = json.loads(row["config"])
    except (TypeError, ValueError):
        return row.get("target") or "?"
    if is_atomic_commit(row):
        return (f"N={cfg.get('n')} R={cfg.get('rounds')} K={cfg.get('k')} "
                f"{cfg.get('properties')} {cfg.get('learner')}")
    n = cfg.get("n") or PAPER_N.get(row["target"], "?")
    att = f" {cfg.get('attacker')}" if row["target"] == "byzantine" else ""
    if cfg.get("sizes"):
        return f"{row['target']}{att} sizes {cfg['sizes']}"
    return f"{row['target']}{att} N={n}"


def vocabulary_text(row: dict) -> str:
    """The run's vocabulary: a preset's name, or a custom one's types and tokens."""
    try:
        spec = json.loads(row["config"]).get("vocabulary", "paper")
        v = vocab_mod.get(spec)
    except (TypeError, ValueError, AttributeError, RbError):
        return "?"
    if isinstance(spec, str):
        return v.name
    return f"{v.name}: {v.types} types, {' '.join(v.tokens)}"


def run_verdict(store, row: dict) -> tuple[Candidate, Verdict] | None:
    """The run's result (its best candidate, else its last one) and the verdict
    the run recorded for it, from the store's verdicts; None if there is none."""
    try:
        cfg = RunConfig.from_dict(json.loads(row["config"]))
    except (TypeError, ValueError, RbError):
        return None
    cache = VerdictCache(cfg.target, cfg.n, cfg.f, cfg.attacker, cfg.backend, store=store,
                         sizes=cfg.sizes)
    for h in (row.get("result_hash"), row.get("best_hash"), row.get("final_hash")):
        candidate = store.candidate(h) if h else None
        record = cache.lookup(h) if candidate is not None else None
        if record is not None:
            return candidate, verdict_from_record(record)
    return None


def resumable(row: dict) -> bool:
    """Not finished, or finished (stopped) before its plan."""
    return row.get("status") != "finished" or row.get("episodes_done", 0) < row.get("episodes_planned", 0)


def cost_text(cost) -> str:
    if not cost:
        return "-"
    m, s, d = cost[:3]
    return f"{m} msgs/{s} steps/{d} to deliver"


class RunsScreen(RbScreen):
    HELP_TOPIC = "runs"
    BINDINGS = [
        Binding("s", "new_run", "New run", id="new-run"),
        Binding("o", "open_run", "Open", id="open-run"),
        Binding("r", "resume_run", "Resume", id="resume-run"),
        Binding("p", "pause_run", "Pause", id="pause-run"),
        Binding("d", "delete_run", "Delete", id="delete-run"),
        Binding("t", "step_run", "Step", id="step-run"),
        Binding("e", "edit_best", "Edit best", id="edit-best", show=False),
        Binding("m", "matrix_best", "Matrix", id="matrix-best", show=False),
        Binding("v", "verdict", "Verdict", id="run-verdict"),
        Binding("c", "searches", "Searches", id="searches", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._costs: dict[str, tuple] = {}
        self._dirty = False
        self.rows: dict[int, dict] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="runs-buttons"):
            yield Button("New run", id="btn-new", variant="success", compact=True)
            yield Button("Open", id="btn-open", compact=True)
            yield Button("Resume", id="btn-resume", compact=True)
            yield Button("Pause", id="btn-pause", compact=True)
            yield Button("Delete", id="btn-delete", variant="error", compact=True)
        yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="runs-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#runs-table", DataTable)
        for c in COLUMNS:
            table.add_column(c, key=c)
        self.reload()
        self.set_interval(0.5, self._refresh_if_dirty)
        self.set_interval(1.0, self._follow_elsewhere)
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    # ---- data -----------------------------------------------------------------
    def _best_cost(self, row: dict):
        h = row.get("best_hash")
        if not h:
            return None
        if h not in self._costs:
            store = self.app.store
            cand = store.candidate(h) if store else None
            if cand is None:
                return None
            try:
                cfg = RunConfig.from_dict(json.loads(row["config"]))
                self._costs[h] = metrics.cost(cand, cfg.n_value, cfg.f_value)
            except (RbError, ValueError, TypeError):
                return None
        return self._costs[h]

    def reload(self) -> None:
        store = self.app.store
        try:
            rows = store.runs() if store else []
        except RbError as exc:
            self.app.report_error(exc, "Store")
            rows = []
        table = self.query_one("#runs-table", DataTable)
        selected = self.selected_id()
        table.clear()
        self.rows = {}
        for row in reversed(rows):
            self.rows[row["id"]] = row
            table.add_row(*self._cells(row), key=str(row["id"]))
        if selected in self.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))
        self._dirty = False
        self._show_detail()

    def _ac_progress(self, row: dict) -> tuple[int, str]:
        """(distinct correct machines, first correct) of an atomic commit run."""
        store = self.app.store
        side = (store.load_checkpoint(row["id"]) if store else None) or {}
        correct = sum(1 for ok in side.get("distinct", {}).values() if ok)
        fc = side.get("first_correct")
        return correct, ("-" if fc is None else f"first correct: episode {fc['episode']}")

    def _cells(self, row: dict) -> list[str]:
        if is_atomic_commit(row):
            return self._ac_cells(row)
        h = self.app.runs.handle_for(row["id"])
        done, correct = row["episodes_done"], row["distinct_correct"]
        cost = cost_text(self._best_cost(row))
        if h is not None and h.progress is not None and self.app.runs.is_active(row["id"]):
            p = h.progress
            done, correct = p.episode, p.distinct_correct
            cost = p.cost_text()
        status = self.app.runs.status_of(row)
        style = STATUS_STYLE.get(status)
        if is_elsewhere(status):
            status += f" (pid {row.get('pid')})"
        return [str(row["id"]), run_target(row), f"{done}/{row['episodes_planned']}",
                f"[{style}]{status}[/]" if style else status, vocabulary_text(row), str(correct), cost,
                (row.get("updated") or "").replace("T", " "), "reliable-broadcast"]

    def _ac_cells(self, row: dict) -> list[str]:
        h = self.app.runs.handle_for(row["id"])
        done = row["episodes_done"]
        correct, first = self._ac_progress(row)
        if h is not None and h.progress is not None and self.app.runs.is_active(row["id"]):
            done = h.progress.episode
        status = self.app.runs.status_of(row)
        style = STATUS_STYLE.get(status)
        return [str(row["id"]), run_target(row), f"{done}/{row['episodes_planned']}",
                f"[{style}]{status}[/]" if style else status, "-", str(correct), first,
                (row.get("updated") or "").replace("T", " "), "atomic-commit"]

    def _follow_elsewhere(self) -> None:
        """Runs of other processes progress at their checkpoints: re-read them."""
        if self.is_current and any(r["status"] == "running" and not self.app.runs.is_active(r["id"])
                                   for r in self.rows.values()):
            self.reload()

    def _refresh_if_dirty(self) -> None:
        if self._dirty:
            self.reload()

    def run_update(self, message: RunMessage) -> None:
        self._dirty = True
        if not isinstance(message, RunProgress):
            self.reload()

    def selected_id(self) -> int | None:
        table = self.query_one("#runs-table", DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return int(key.value) if key is not None and key.value is not None else None

    @on(DataTable.RowHighlighted, "#runs-table")
    def _show_detail(self) -> None:
        rid = self.selected_id()
        row = self.rows.get(rid)
        detail = self.query_one("#runs-detail", Static)
        if row is None:
            if self.app.store is None:
                detail.update(f"No store is open ({self.app.db_path}); the Composer works without one.")
            else:
                detail.update("No runs yet: press s to start one.")
            return
        if is_atomic_commit(row):
            correct, first = self._ac_progress(row)
            detail.update(f"run {rid}: atomic commit {run_target(row)}, seed {row['seed']}; "
                          f"{correct} correct machine(s) verified; {first}"
                          + (f"\n{row['message']}" if row.get("message") else "")
                          + "\no opens the run: its machine as a transition table")
            return
        lines = [f"run {rid}: {run_target(row)}, seed {row['seed']}, "
                 f"candidates (distinct): {row['distinct_correct']} correct / "
                 f"{row['distinct_incorrect']} incorrect; episodes: {row['correct_episodes']} correct / "
                 f"{row['incorrect_episodes']} incorrect; {row['states']} states"]
        status = self.app.runs.status_of(row)
        if is_elsewhere(status):
            lines.append(f"{status}: process {row.get('pid')} on {row.get('host')}; p asks it to "
                         f"pause, x (in the live view) to stop, at its next checkpoint")
        if row.get("message"):
            lines.append(str(row["message"]))
        store = self.app.store
        best = store.candidate(row.get("result_hash") or row.get("best_hash")) if store else None
        if best is not None:
            lines.append("best: " + best.notation().replace("\n", "  |  "))
        detail.update("\n".join(lines))

    # ---- actions ----------------------------------------------------------------
    @on(Button.Pressed, "#btn-new")
    def action_new_run(self) -> None:
        def started(cfg) -> None:
            if cfg is None:
                return
            try:
                self.app.runs.start(cfg)
            except RbError as exc:
                self.app.report_error(exc, "Run")
                return
            self.notify("Run started.", title="Run")
        self.app.push_screen(NewRunScreen(), started)

    @on(DataTable.RowSelected, "#runs-table")
    @on(Button.Pressed, "#btn-open")
    def action_open_run(self) -> None:
        rid = self.selected_id()
        if rid is not None:
            self.app.open_run(rid)

    @on(Button.Pressed, "#btn-resume")
    def action_resume_run(self) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        row = self.rows.get(rid, {})
        if not resumable(row):
            self.notify(f"Run {rid} is finished ({row.get('episodes_done')} episodes, as planned).",
                        severity="warning")
            return
        try:
            self.app.runs.resume(rid)
        except RbError as exc:
            self.app.report_error(exc, "Run")
            return
        self.reload()

    @on(Button.Pressed, "#btn-pause")
    def action_pause_run(self) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        row = self.rows.get(rid, {})
        elsewhere = is_elsewhere(self.app.runs.status_of(row)) if row else False
        try:
            asked = self.app.runs.pause(rid)
        except RbError as exc:
            self.app.report_error(exc, "Run")
            return
        if not asked:
            self.notify(f"Run {rid} is not running.", severity="warning")
        elif elsewhere:
            self.notify(f"Asked process {row.get('pid')} to pause run {rid} at its next checkpoint.",
                        title="Run")
        self.reload()

    @on(Button.Pressed, "#btn-delete")
    def action_delete_run(self) -> None:
        rid = self.selected_id()
        if rid is None:
            return
        if self.app.runs.is_active(rid):
            self.notify(f"Pause run {rid} before deleting it.", severity="warning")
            return

        if self.app.store_readonly:
            self.notify("The store is open read-only: nothing can be deleted.", severity="warning")
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.app.store.delete_run(rid)
            except RbError as exc:
                self.app.report_error(exc, "Store")
            self.reload()
        self.app.push_screen(ConfirmScreen(f"Delete run {rid} and its history? This cannot be undone."),
                             answer)

    def action_searches(self) -> None:
        """The exhaustive searches for the certified cheapest candidates."""
        from .search import SearchScreen
        self.app.push_screen(SearchScreen())

    def action_step_run(self) -> None:
        rid = self.selected_id()
        if rid is not None and is_atomic_commit(self.rows.get(rid, {})):
            self.app.open_ac_stepper(rid)  # a copy of its learner: the run is not touched
            return
        if rid is not None:
            self.app.open_stepper(rid)

    def action_edit_best(self) -> None:
        rid = self.selected_id()
        row = self.rows.get(rid)
        store = self.app.store
        if row and is_atomic_commit(row):
            self.notify("The Composer edits Reliable Broadcast candidates; export the machine "
                        "with rbtui export.", severity="warning")
            return
        best = store.candidate(row.get("result_hash") or row.get("best_hash")) if (row and store) else None
        if best is None:
            self.notify("This run has no correct candidate yet.", severity="warning")
            return
        self.app.edit_candidate(best, f"run {rid}")

    def action_matrix_best(self) -> None:
        """The matrix of the run's best candidate (its result, else the most
        efficient correct one seen), at the run's settings from its smallest size."""
        from .matrix import SPAN, MatrixScreen
        rid = self.selected_id()
        best = self.current_candidate()
        if best is None:
            self.notify("This run has no correct candidate yet.", severity="warning")
            return
        try:
            cfg = RunConfig.from_dict(json.loads(self.app.store.run(rid)["config"]))
            lo = min(s.n for s in cfg.size_list())
        except Exception as exc:  # a config this version cannot read
            self.app.report_error(exc, "Matrix")
            return
        self.app.push_screen(MatrixScreen(best, cfg.target, None, cfg.attacker, cfg.backend,
                                          (lo, min(MAX_N, lo + SPAN)),
                                          title=f"of run {rid}'s best candidate"))

    def action_verdict(self) -> None:
        """The verdict of the selected run's result, on the Verdict screen."""
        rid = self.selected_id()
        row = self.rows.get(rid)
        if row is None:
            return
        if is_atomic_commit(row):
            self.notify("The Verdict screen shows Reliable Broadcast verdicts; open this run (o) "
                        "to see its counterexample.", severity="warning")
            return
        store = self.app.store
        found = run_verdict(store, row) if store else None
        if found is None:
            self.notify(f"Run {rid} has no verdict yet.", severity="warning")
            return
        self.app.open_verdict(*found)

    # ---- exports ----------------------------------------------------------------------
    def current_candidate(self):
        rid = self.selected_id()
        row = self.rows.get(rid)
        store = self.app.store
        return store.candidate(row.get("result_hash") or row.get("best_hash")) if (row and store) else None

    def current_run_csv(self):
        rid = self.selected_id()
        return run_csv(self.app.store, rid) if rid is not None and self.app.store else None

    def palette_commands(self):
        yield ("Runs: start a new run", self.action_new_run, "")
        yield ("Runs: verdict of the selected run", self.action_verdict,
               "Its result's verdict, counterexample and PROMELA (v)")
        yield ("Searches: certified cheapest candidates of a space", self.action_searches,
               "Exhaustive searches (rbtui search)")
        for rid, row in self.rows.items():
            yield (f"Open run {rid} ({run_target(row)}, {row['status']})",
                   lambda r=rid: self.app.open_run(r), "Live view of the run")


def run_csv(store, run_id: int) -> tuple[str, str]:
    """(CSV text, file name): one line per episode of the run."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["episode", "candidate_hash", "correct", "cached", "accumulated", "bonus",
                "states", "seconds"])
    for e in store.episodes(run_id):
        w.writerow([e["episode"], e["candidate_hash"], e["correct"], e["cached"], e["accumulated"],
                    e["bonus"], e["states"], e["seconds"]])
    return out.getvalue(), f"run-{run_id}.csv"
