"""Run (live): progress, cache hit rate, correct/incorrect counts, the paper's
Figs. 2-3 over episodes, and the best candidate so far."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, ProgressBar, Static
from textual_plotext import PlotextPlot

from rbengine import reward as rw
from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.errors import RbError
from rbengine.notation import pseudo

from ..messages import RunMessage, RunProgress
from ..runs import is_elsewhere
from .base import RbScreen
from .dialogs import ConfirmScreen
from .runs import resumable, run_target, run_verdict


class History:
    """(episode, states explored, distinct candidates, distinct correct) per
    stored episode, read incrementally (a run of another process grows)."""

    def __init__(self) -> None:
        self.points: list[tuple[int, int, int, int]] = []
        self._seen: dict[str, bool] = {}
        self._correct = 0
        self._last = 0

    def update(self, store, run_id: int) -> bool:
        """Read the episodes stored since the last update; True if any."""
        rows = store.episodes(run_id, after=self._last)
        for e in rows:
            h = e["candidate_hash"]
            if h not in self._seen:
                self._seen[h] = bool(e["correct"])
                self._correct += bool(e["correct"])
            self.points.append((e["episode"], e["states"], len(self._seen), self._correct))
            self._last = e["episode"]
        return bool(rows)


def history(store, run_id: int) -> list[tuple[int, int, int, int]]:
    h = History()
    h.update(store, run_id)
    return h.points


#: lower than this, the best candidate is shown in the compact notation
SHORT = 32
#: Fig. 3 draws the correct candidates on a second (right) axis when they are
#: fewer than this share of all candidates: on the common axis they would be flat
RARE = 0.1


def correct_on_second_axis(algorithms: list[int], correct: list[int]) -> bool:
    """Whether the correct candidates are too rare to be read on the axis of all."""
    top = max(algorithms, default=0)
    return top > 0 and max(correct, default=0) < RARE * top


def best_reward(config: dict | str | None, candidate: Candidate) -> tuple[float, float, float] | None:
    """(total, accumulated runtime reward, bonus) of a correct candidate under the
    run's rewards (rbengine.reward): what the learner received for it in an episode."""
    try:
        cfg = RunConfig.from_dict(json.loads(config) if isinstance(config, str) else config or {})
    except (RbError, ValueError, TypeError):
        return None
    acc = rw.total(cfg.rewards, candidate)
    bonus = rw.bonus(cfg.rewards, True, acc)
    return acc + bonus, acc, bonus


def eta_text(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "-"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class RunScreen(RbScreen):
    HELP_TOPIC = "run"
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause/resume", id="toggle-pause"),
        Binding("x", "stop_run", "Stop", id="stop-run"),
        Binding("e", "edit_best", "Edit best", id="edit-best"),
        Binding("t", "step", "Stepper", id="run-stepper"),
        Binding("v", "verdict", "Verdict", id="live-verdict"),
        Binding("escape", "back", "Runs", id="back-to-runs"),
    ]

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id
        self.row: dict = {}
        self.points: list[tuple[int, int, int, int]] = []
        self._plot_dirty = True
        self.best: Candidate | None = None
        self._history = History()
        self.fig3_second_axis = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="run-title")
        with Horizontal(id="run-progress-row"):
            yield ProgressBar(total=1, show_eta=False, id="run-progress")
            yield Static("", id="run-rate")
        yield Static("", id="run-stats")
        with Horizontal(id="run-plots"):
            yield PlotextPlot(id="plot-states")
            yield PlotextPlot(id="plot-algorithms")
        with Vertical(id="run-best-box"):
            yield Static("", id="run-best")
        yield Footer()

    def on_resize(self) -> None:
        short = self.size.height < SHORT
        if short != self.has_class("short"):
            self.set_class(short, "short")
            self._show()

    def on_mount(self) -> None:
        self.set_class(self.size.height < SHORT, "short")
        self.reload()
        self.set_interval(0.5, self._redraw_plots)
        self.set_interval(1.0, self._follow_elsewhere)

    def _follow_elsewhere(self) -> None:
        """A run of another process: its checkpoints are the live progress."""
        if not (self.is_current and self.row and self.row.get("status") == "running"
                and not self.active):
            return
        store = self.app.store
        try:
            self.row = store.run(self.run_id)
            if self._history.update(store, self.run_id):
                self._plot_dirty = True
                self.best = store.candidate(self.row.get("result_hash") or self.row.get("best_hash"))
        except RbError as exc:
            self.app.report_error(exc, "Run")
            return
        self._show()

    def on_screen_resume(self) -> None:
        self.reload()

    # ---- data ---------------------------------------------------------------
    @property
    def handle(self):
        return self.app.runs.handle_for(self.run_id)

    @property
    def active(self) -> bool:
        return self.app.runs.is_active(self.run_id)

    def reload(self) -> None:
        store = self.app.store
        if store is None:
            return
        try:
            self.row = store.run(self.run_id)
            self._history = History()
            self._history.update(store, self.run_id)
            self.points = self._history.points  # local progress appends to it
            h = self.row.get("result_hash") or self.row.get("best_hash")
            self.best = store.candidate(h)
        except RbError as exc:
            self.app.report_error(exc, "Run")
            return
        self._plot_dirty = True
        self._show()

    def run_update(self, message: RunMessage) -> None:
        if message.run_id != self.run_id:
            return
        if isinstance(message, RunProgress):
            p = message.progress
            last = self.points[-1] if self.points else (0, 0, 0, 0)
            if p.episode > last[0]:
                self.points.append((p.episode, p.states, p.distinct_correct + p.distinct_incorrect,
                                    p.distinct_correct))
                self._plot_dirty = True
            if p.best:
                try:
                    self.best = Candidate.loads(p.best)
                except RbError:
                    pass
            self._show()
        else:
            self.reload()

    def _show(self) -> None:
        row, h = self.row, self.handle
        p = h.progress if (h is not None and self.active) else None
        planned = p.planned if p else row.get("episodes_planned", 0)
        done = p.episode if p else row.get("episodes_done", 0)
        status = self.app.runs.status_of(row) if row else "?"
        if is_elsewhere(status):
            status += f" (pid {row.get('pid')} on {row.get('host')})"
        self.query_one("#run-title", Static).update(
            f"[b]run {self.run_id}[/]  {run_target(row) if row else ''}  status [b]{status}[/]"
            f"  seed {row.get('seed', '?')}")
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=max(planned, 1), progress=done)
        if p:
            rate = p.episodes_per_s
            eta = (planned - done) / rate if rate > 0 else None
            self.query_one("#run-rate", Static).update(
                f"{done}/{planned} episodes  {rate:.0f} ep/s  ETA {eta_text(eta)}")
            hits = p.cache_hit_rate
            corr, inc, states = p.correct, p.incorrect, p.states
            dc, di = p.distinct_correct, p.distinct_incorrect
            elapsed = p.elapsed
        else:
            self.query_one("#run-rate", Static).update(f"{done}/{planned} episodes")
            asked = (row.get("cache_hits") or 0) + (row.get("cache_misses") or 0)
            hits = (row.get("cache_hits") or 0) / asked if asked else 0.0
            corr, inc = row.get("correct_episodes", 0), row.get("incorrect_episodes", 0)
            dc, di = row.get("distinct_correct", 0), row.get("distinct_incorrect", 0)
            states = row.get("states", 0)
            elapsed = row.get("seconds") or 0.0
        self.query_one("#run-stats", Static).update(
            f"oracle cache hit rate [b]{hits:.0%}[/]   episodes: [green]{corr} correct[/] / "
            f"[red]{inc} incorrect[/]   distinct candidates: [green]{dc}[/] / [red]{di}[/]   "
            f"states {states}   time {eta_text(elapsed)}")
        best = self.query_one("#run-best", Static)
        if self.best is None:
            best.update("best candidate: none correct yet")
        else:
            cost = p.cost_text() if p else ""
            body = self.best.notation() if self.has_class("short") else pseudo(self.best)
            best.update(f"[b]best candidate[/] {cost}  {self.reward_text()}\n" + body)

    def reward_text(self) -> str:
        """The best candidate's total reward, and what it is made of."""
        r = best_reward(self.row.get("config"), self.best) if self.best is not None else None
        if r is None:
            return ""
        total, acc, bonus = r
        return f"total reward [b]{total:g}[/] (runtime {acc:g} + bonus {bonus:g})"

    def _redraw_plots(self) -> None:
        if not self._plot_dirty or not self.is_current:
            return
        self._plot_dirty = False
        eps = [pt[0] for pt in self.points] or [0]
        states = [pt[1] for pt in self.points] or [0]
        algs = [pt[2] for pt in self.points] or [0]
        correct = [pt[3] for pt in self.points] or [0]
        p1 = self.query_one("#plot-states", PlotextPlot)
        p1.plt.clear_data()
        p1.plt.title("Fig. 2: states explored")
        p1.plt.xlabel("episode")
        p1.plt.plot(eps, states, marker="braille")
        p1.refresh()
        p2 = self.query_one("#plot-algorithms", PlotextPlot)
        p2.plt.clear_data()
        p2.plt.title("Fig. 3: algorithms generated")
        p2.plt.xlabel("episode")
        p2.plt.plot(eps, algs, marker="braille", label="all")
        self.fig3_second_axis = correct_on_second_axis(algs, correct)
        if self.fig3_second_axis:
            p2.plt.plot(eps, correct, marker="braille", label="correct (right axis)", yside="right")
        else:
            p2.plt.plot(eps, correct, marker="braille", label="correct")
        p2.refresh()

    # ---- actions -------------------------------------------------------------
    def action_toggle_pause(self) -> None:
        if self.active:
            self.app.runs.pause(self.run_id)
            self.notify(f"Pausing run {self.run_id} after the episode in flight.", title="Run")
        elif self.row and is_elsewhere(self.app.runs.status_of(self.row)):
            try:
                asked = self.app.runs.pause(self.run_id)
            except RbError as exc:
                self.app.report_error(exc, "Run")
                return
            if asked:
                self.notify(f"Asked process {self.row.get('pid')} to pause run {self.run_id} "
                            f"at its next checkpoint.", title="Run")
            self.reload()
            return
        else:
            if not resumable(self.row):
                self.notify(f"Run {self.run_id} is finished.", severity="warning")
                return
            try:
                self.app.runs.resume(self.run_id)
            except RbError as exc:
                self.app.report_error(exc, "Run")
                return
        self._show()

    def action_stop_run(self) -> None:
        """End the run now (asks first): after the episode in flight, the
        optimisation episode, then finished; the plan is kept, so r resumes it."""
        row = self.row
        if not row or (row.get("status") == "finished" and not self.active):
            self.notify(f"Run {self.run_id} is finished already.", severity="warning")
            return
        h = self.handle
        done = h.progress.episode if (self.active and h and h.progress) else row.get("episodes_done", 0)
        planned = row.get("episodes_planned", 0)

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.app.runs.finish(self.run_id)
            except RbError as exc:
                self.app.report_error(exc, "Run")
            self._show()
        self.app.push_screen(ConfirmScreen(
            f"Stop run {self.run_id} at {done} of {planned} episodes? It runs the optimisation "
            f"episode and is marked finished; resume (space, or r in Runs) continues it "
            f"towards the {planned} planned."), answer)

    def action_edit_best(self) -> None:
        if self.best is None:
            self.notify("No correct candidate yet.", severity="warning")
            return
        self.app.edit_candidate(self.best, f"run {self.run_id}")

    def action_verdict(self) -> None:
        """The verdict of the run's result (as v in Runs)."""
        store = self.app.store
        found = run_verdict(store, self.row) if (store and self.row) else None
        if found is None:
            self.notify(f"Run {self.run_id} has no verdict yet.", severity="warning")
            return
        self.app.open_verdict(*found)

    def action_step(self) -> None:
        self.app.open_stepper(self.run_id)

    def action_back(self) -> None:
        self.app.pop_screen()

    def current_candidate(self):
        return self.best

    def current_run_csv(self):
        from .runs import run_csv
        store = self.app.store
        return run_csv(store, self.run_id) if store else None
