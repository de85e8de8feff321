"""Verdict: the checks of a verification, the counterexample as a step table and
as a message sequence chart, and the PROMELA model of the failing scenario."""

from __future__ import annotations

from rich.markup import escape
from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from rbengine.errors import RbError
from rbengine.scenario import Scenario, scenarios

from ..present import delivered_text, scenario_label, step_row
from ..widgets.msc import FRAME, SequenceChart
from .base import RbScreen


def scenario_of(check) -> Scenario:
    """The scenario a check verified (raises RbError if there is no such scenario)."""
    for sc in scenarios(check.mode, check.n, check.f, check.attacker or "full"):
        if sc.name == check.scenario:
            return sc
    raise RbError(f"no scenario {check.scenario!r} in {check.mode} N={check.n}")


def promela_for(candidate, check) -> str:
    """The standalone PROMELA model of a check's scenario (raises RbError if unavailable)."""
    try:
        from rbengine.oracle.spin import promela
    except ImportError:
        raise RbError("the PROMELA generator (rbengine.oracle.spin) is not installed") from None
    return promela(candidate, scenario_of(check))


def promela_lines(candidate, check, step) -> list[int]:
    """The lines of promela_for()'s model that a counterexample step executes
    (rbengine.oracle.spin.step_lines), the one to show first."""
    from rbengine.oracle.spin import step_lines
    return step_lines(promela_for(candidate, check), candidate, scenario_of(check), step)


#: narrower than this, the chart alone shows the steps (the step line says the rest)
NARROW = 100
#: lower than this, the summary, the checks and the titles take fewer rows
SHORT = 32
#: columns the step table keeps beside the chart, when the screen is wide enough
STEPS_MIN = 50


def chart_room(screen_width: int) -> int:
    """Columns the chart may take beside the step table."""
    return max(20, screen_width - STEPS_MIN)


def chart_width(screen_width: int, natural: int, grid: int) -> int:
    """Columns of the chart beside the step table: all of it when it fits,
    at least every process's lifeline when that fits, the notes scroll."""
    room = chart_room(screen_width)
    if natural + FRAME <= room:
        return natural + FRAME
    return max(room, min(grid + FRAME, screen_width - 30))


class VerdictScreen(RbScreen):
    HELP_TOPIC = "verdict"
    BINDINGS = [
        Binding("n", "step(1)", "Next step", id="next-step"),
        Binding("p", "step(-1)", "Prev step", id="prev-step"),
        Binding("home", "first_step", "First", id="first-step", show=False, priority=True),
        Binding("end", "last_step", "Last", id="last-step", show=False, priority=True),
        Binding("e", "edit", "Edit candidate", id="edit-candidate"),
        Binding("v", "show_tab('tab-promela')", "PROMELA", id="show-promela"),
        Binding("c", "show_tab('tab-cx')", "Counterexample", id="show-counterexample"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown = -1
        self.check_index: int | None = None
        self._promela: str | None = None
        #: the PROMELA lines the highlighted step executes (highlighted there)
        self.promela_lines: list[int] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="verdict-summary")
        yield DataTable(id="verdict-checks", cursor_type="row", zebra_stripes=True)
        with TabbedContent(id="verdict-tabs", initial="tab-cx"):
            with TabPane("Counterexample", id="tab-cx"):
                yield Static("", id="cx-title")
                with Horizontal(id="cx-body"):
                    yield DataTable(id="steps", cursor_type="row", zebra_stripes=True)
                    yield SequenceChart(id="msc")
                yield Static("", id="step-detail")
                yield Static("", id="cx-final")
            with TabPane("PROMELA", id="tab-promela"):
                with VerticalScroll(id="promela-scroll"):
                    yield Static("", id="promela")
        yield Footer()

    def on_resize(self) -> None:
        self._fit()

    @property
    def narrow(self) -> bool:
        return self.size.width < NARROW

    def _fit(self) -> None:
        """The layout for this terminal size (Textual has no media queries)."""
        self.set_class(self.narrow, "narrow")
        self.set_class(self.size.height < SHORT, "short")
        chart = self.query_one("#msc", SequenceChart)
        chart.fit(self.size.width if self.narrow else chart_room(self.size.width))
        if self.narrow or not chart.natural_width:
            chart.styles.width = "1fr"
        else:
            chart.styles.width = chart_width(self.size.width, chart.natural_width,
                                             chart.grid_width)
        if self.narrow and self.focused is self.query_one("#steps", DataTable):
            chart.focus()

    def _focus_steps(self) -> None:
        """Focus what moves through the steps: the table, or the chart alone when narrow."""
        self.query_one("#msc" if self.narrow else "#steps").focus()

    def on_mount(self) -> None:
        self.query_one("#verdict-checks", DataTable).add_columns(
            "scenario", "result", "property", "states", "time")
        self.query_one("#steps", DataTable).add_columns("#", "who", "what", "message", "state change")
        self.refresh_view()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def take_pending(self) -> None:
        self.refresh_view()

    # ---- what is shown -------------------------------------------------------
    @property
    def view(self):
        return self.app.verdict_view

    def refresh_view(self) -> None:
        view = self.view
        if view is None:
            self.query_one("#verdict-summary", Static).update(
                "No verdict yet: verify a candidate in the Composer (F3), or open one from a run.")
            self.show_check(None)
            return
        if view.version == self._shown:
            return
        self._shown = view.version
        v = view.verdict
        head = "[b green]CORRECT[/]" if v.correct else f"[b red]INCORRECT[/] {v.summary()[10:]}"
        self.query_one("#verdict-summary", Static).update(
            f"{head}   backend {v.backend or '?'}, {v.states} states, {v.seconds:.2f}s\n"
            + view.candidate.notation())
        table = self.query_one("#verdict-checks", DataTable)
        table.clear()
        for c in v.checks:
            table.add_row(scenario_label(c), "[green]correct[/]" if c.correct else "[red]incorrect[/]",
                          c.property or "", str(c.states), f"{c.seconds:.2f}s")
        index = view.check
        if index is None:
            index = next((i for i, c in enumerate(v.checks) if not c.correct), 0 if v.checks else None)
        if index is not None:
            table.move_cursor(row=index)
        self.show_check(index)
        self._focus_steps()

    def show_check(self, index: int | None) -> None:
        self.check_index = index
        self._promela = None
        steps = self.query_one("#steps", DataTable)
        chart = self.query_one("#msc", SequenceChart)
        steps.clear()
        view = self.view
        check = view.verdict.checks[index] if (view and index is not None and view.verdict.checks) else None
        cx = check.counterexample if check is not None else None
        title = self.query_one("#cx-title", Static)
        final = self.query_one("#cx-final", Static)
        chart.set_counterexample(cx)
        self._fit()
        self.query_one("#step-detail", Static).update("")
        if check is None:
            title.update("")
            final.update("")
        elif cx is None:
            title.update(f"{scenario_label(check)}: "
                         + ("correct, no counterexample" if check.correct else "no counterexample recorded"))
            final.update("")
        else:
            who = ", ".join(f"p{p}" for p in cx.faulty) or "none"
            title.update(f"[b red]RB-{cx.property.capitalize()} violated[/] in {scenario_label(check)} "
                         f"(faulty: {who}), {len(cx.steps)} steps"
                         + ("" if cx.shortest else " (a learning run's verdict: not necessarily "
                            "the shortest counterexample)"))
            for i, st in enumerate(cx.steps, 1):
                steps.add_row(str(i), *step_row(st))
            final.update(f"quiescent; delivered by correct processes: {delivered_text(cx)}")
        self._render_promela()

    def _render_promela(self) -> None:
        self.promela_lines = []
        widget = self.query_one("#promela", Static)
        view = self.view
        if view is None or self.check_index is None or not view.verdict.checks:
            widget.update("No scenario selected.")
            return
        check = view.verdict.checks[self.check_index]
        try:
            self._promela = promela_for(view.candidate, check)
        except RbError as exc:
            widget.update(f"PROMELA unavailable: {exc}")
            return
        except Exception as exc:  # the generator is another module's: report, stay up
            widget.update(f"PROMELA unavailable: {type(exc).__name__}: {exc}")
            return
        self._show_promela()

    def _show_promela(self) -> None:
        if not self._promela:
            return
        self.query_one("#promela", Static).update(Syntax(
            self._promela, "promela", line_numbers=True, theme="monokai", word_wrap=False,
            highlight_lines=set(self.promela_lines)))
        self.call_after_refresh(self._scroll_promela)

    def _scroll_promela(self) -> None:
        """Bring the step's first line to the upper third of the PROMELA view."""
        if not self.promela_lines:
            return
        scroll = self.query_one("#promela-scroll", VerticalScroll)
        top = self.promela_lines[0] - 1 - scroll.scrollable_content_region.height // 3
        scroll.scroll_to(y=max(0, top), animate=False, immediate=True)

    def promela_line_visible(self) -> bool:
        """The highlighted step's first PROMELA line is on screen (when its tab is)."""
        scroll = self.query_one("#promela-scroll", VerticalScroll)
        if not self.promela_lines or not scroll.scrollable_content_region.height:
            return False
        y = self.promela_lines[0] - 1
        return scroll.scroll_offset.y <= y < scroll.scroll_offset.y + scroll.scrollable_content_region.height

    def _link_promela(self, index: int) -> None:
        """Highlight the PROMELA lines the step executes, as iSpin does."""
        cx = self.current_counterexample()
        view = self.view
        lines: list[int] = []
        if cx is not None and view is not None and self._promela and 0 <= index < len(cx.steps):
            try:
                lines = promela_lines(view.candidate, view.verdict.checks[self.check_index],
                                      cx.steps[index])
            except RbError:
                lines = []
        if lines != self.promela_lines:
            self.promela_lines = lines
            self._show_promela()

    @on(TabbedContent.TabActivated, "#verdict-tabs")
    def _tab_shown(self) -> None:
        self.call_after_refresh(self._scroll_promela)

    # ---- current things, for the exports -------------------------------------
    def current_candidate(self):
        return self.view.candidate if self.view else None

    def current_counterexample(self):
        view = self.view
        if view is None or self.check_index is None or not view.verdict.checks:
            return None
        return view.verdict.checks[self.check_index].counterexample

    def current_promela(self) -> str | None:
        return self._promela

    # ---- interaction ---------------------------------------------------------
    @on(DataTable.RowHighlighted, "#verdict-checks")
    def _check_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != self.check_index:
            self.show_check(event.cursor_row)

    @on(DataTable.RowHighlighted, "#steps")
    def _step_highlighted(self, event: DataTable.RowHighlighted) -> None:
        chart = self.query_one("#msc", SequenceChart)
        if chart.step != event.cursor_row:
            chart.step = event.cursor_row
        self._link_promela(event.cursor_row)
        self._show_step_detail(event.cursor_row)

    def _show_step_detail(self, index: int) -> None:
        cx = self.current_counterexample()
        detail = self.query_one("#step-detail", Static)
        if cx is None or not 0 <= index < len(cx.steps):
            detail.update("")
            return
        where = ""
        if self.promela_lines:
            where = "   [dim](PROMELA line " + ", ".join(map(str, self.promela_lines)) + ": v)[/]"
        detail.update(f"[b]step {index + 1}/{len(cx.steps)}:[/] {escape(cx.steps[index].text())}"
                      + where)

    @on(SequenceChart.StepSelected)
    def _chart_step(self, event: SequenceChart.StepSelected) -> None:
        steps = self.query_one("#steps", DataTable)
        if steps.cursor_row != event.step:
            steps.move_cursor(row=event.step)

    @property
    def step(self) -> int:
        return self.query_one("#msc", SequenceChart).step

    def action_step(self, delta: int) -> None:
        steps = self.query_one("#steps", DataTable)
        if steps.row_count:
            steps.move_cursor(row=max(0, min(steps.row_count - 1, steps.cursor_row + delta)))

    def action_first_step(self) -> None:
        self.query_one("#steps", DataTable).move_cursor(row=0)

    def action_last_step(self) -> None:
        steps = self.query_one("#steps", DataTable)
        steps.move_cursor(row=max(0, steps.row_count - 1))

    def action_edit(self) -> None:
        if self.view is not None:
            self.app.edit_candidate(self.view.candidate, "the verdict")

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#verdict-tabs", TabbedContent).active = tab
        # focus inside the pane, or the pane of the focused widget comes back
        if tab == "tab-promela":
            self.query_one("#promela-scroll").focus()
        else:
            self._focus_steps()

    def palette_commands(self):
        yield ("Verdict: edit this candidate in the Composer", self.action_edit, "")
        yield ("Verdict: show the PROMELA model", lambda: self.action_show_tab("tab-promela"), "")
        yield ("Verdict: show the counterexample", lambda: self.action_show_tab("tab-cx"), "")
