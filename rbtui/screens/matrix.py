"""Matrix view: a candidate's verdict at every (N, F), filled cell by cell.

The cells are computed one after another in a thread worker (a matrix of a
few sizes costs less than starting processes); each posts a MatrixCell, so
the table fills as they come. Escape cancels at the next poll of the oracle;
Enter on a failing cell opens its counterexample in the Verdict screen.
"""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static
from textual.worker import get_current_worker

from rbengine import matrix as matrix_mod
from rbengine.candidate import Candidate
from rbengine.mode import get as get_mode
from rbengine.size import within_bound
from rbengine.verdict import Verdict

from ..messages import MatrixCell, MatrixEnded
from .base import RbScreen

CELL_SECONDS = 20.0
SPAN = 3


class MatrixScreen(RbScreen):
    BINDINGS = [
        Binding("escape", "cancel_or_close", "Cancel / close", id="matrix-cancel"),
        Binding("enter", "open_cell", "Counterexample", id="matrix-open", show=True),
    ]

    def __init__(self, candidate: Candidate, target: str | None = "byzantine",
                 only: str | None = None, attacker: str = "full", backend: str = "builtin",
                 n_range: tuple[int, int] = (4, 7), timeout: float | None = CELL_SECONDS,
                 title: str = "") -> None:
        super().__init__()
        self.candidate = candidate
        self.matrix = matrix_mod.Matrix(matrix_mod.mode_of(target, only), None if only else target,
                                        only, attacker, backend, n_range[0], n_range[1], timeout)
        self.heading = title
        self.columns = self.matrix.columns()
        self.running = False
        self._cancel = threading.Event()
        self._token = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="matrix-title")
        yield ProgressBar(total=len(self.matrix.planned), show_eta=False, id="matrix-progress")
        yield DataTable(id="matrix-table", cursor_type="cell")
        yield Static("", id="matrix-status")
        yield Footer()

    def on_mount(self) -> None:
        m = self.matrix
        what = f"only {m.only}" if m.only else f"target {m.target}"
        self.query_one("#matrix-title", Static).update(
            f"[b]matrix[/] {self.heading}: {what}"
            + (f" ({m.attacker})" if get_mode(m.mode).has_attacker else "")
            + f", backend {m.backend}, N={m.lo}..{m.hi}"
            + (f", {m.timeout:g} s per cell" if m.timeout else "")
            + ("; * = beyond the bound" if get_mode(m.mode).has_faults else ""))
        table = self.query_one("#matrix-table", DataTable)
        table.add_column("N \\ F", key="n")
        for f in self.columns:
            table.add_column(f"F={f}", key=str(f))
        planned = set(m.planned)
        for n in range(m.lo, m.hi + 1):
            table.add_row(str(n), *("…" if (n, f) in planned else "" for f in self.columns),
                          key=str(n))
        table.focus()
        self.start()

    # ---- the worker ----------------------------------------------------------------
    def start(self) -> None:
        self._cancel.set()
        self._cancel = threading.Event()
        self._token += 1
        self.running = True
        self._status("computing… (Esc cancels)")
        self.fill(self._token, self.candidate, self.matrix, self._cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="matrix")
    def fill(self, token: int, candidate: Candidate, m: matrix_mod.Matrix,
             cancel: threading.Event) -> None:
        worker = get_current_worker()

        def stop() -> bool:
            return cancel.is_set() or worker.is_cancelled

        try:
            for job in matrix_mod.jobs(candidate, m):
                if stop():
                    break
                cell = matrix_mod.compute_cell(job, cancel=stop)
                if stop():
                    break
                self.post_message(MatrixCell(token, cell))
        except Exception as exc:  # a backend bug must not take the app down
            self.post_message(MatrixEnded(token, error=f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(MatrixEnded(token, cancelled=stop()))

    def on_matrix_cell(self, message: MatrixCell) -> None:
        if message.token != self._token:
            return
        c = message.cell
        self.matrix.cells[(c.n, c.f)] = c
        mark = "" if within_bound(self.matrix.mode, c.n, c.f) else "*"
        colour = {"correct": "green", "violated": "red"}.get(c.status, "yellow")
        text = f"[{colour}]{c.text()}{mark}[/] {c.seconds:.1f}s"
        self.query_one("#matrix-table", DataTable).update_cell(str(c.n), str(c.f), text)
        self.query_one("#matrix-progress", ProgressBar).advance(1)

    def on_matrix_ended(self, message: MatrixEnded) -> None:
        if message.token != self._token:
            return
        self.running = False
        m = self.matrix
        done = len(m.cells)
        if message.error:
            self._status(f"[red]stopped:[/] {message.error}")
            self.app.report_error(message.error, "Matrix")
        elif message.cancelled:
            self._status(f"[yellow]cancelled[/] after {done}/{len(m.planned)} cells")
        else:
            ok = m.correct_within_bound()
            self._status(("[b green]correct at every size within the bound[/]" if ok else
                          "[b red]not correct at every size within the bound[/]")
                         + f"; {done} cells. Enter on a failing cell shows its counterexample.")

    def _status(self, text: str) -> None:
        self.query_one("#matrix-status", Static).update(text)

    # ---- keys ----------------------------------------------------------------------
    def action_cancel_or_close(self) -> None:
        if self.running:
            self._cancel.set()
            self.workers.cancel_group(self, "matrix")
            self._token += 1  # whatever the worker still posts is stale
            self.running = False
            self._status(f"[yellow]cancelled[/] after {len(self.matrix.cells)}/"
                         f"{len(self.matrix.planned)} cells")
        else:
            self.dismiss()

    def selected_cell(self) -> matrix_mod.Cell | None:
        table = self.query_one("#matrix-table", DataTable)
        row, col = table.cursor_coordinate
        if col == 0 or col > len(self.columns):
            return None
        return self.matrix.cells.get((self.matrix.lo + row, self.columns[col - 1]))

    @on(DataTable.CellSelected, "#matrix-table")
    def _cell_selected(self, event: DataTable.CellSelected) -> None:
        self.action_open_cell()

    def action_open_cell(self) -> None:
        c = self.selected_cell()
        if c is None or c.status != matrix_mod.VIOLATED:
            self.notify("Choose a failing cell (computed and violated).", severity="warning")
            return
        if not c.counterexample or not c.verdict:
            self.notify("This cell has no counterexample.", severity="warning")
            return
        m = self.matrix
        verdict = Verdict.from_json(dict(c.verdict, counterexample=c.counterexample), m.backend)
        failed = next((i for i, ch in enumerate(verdict.checks) if not ch.correct), None)
        params = {"target": m.target, "only": m.only, "n": c.n, "f": c.f,
                  "attacker": m.attacker, "backend": m.backend}
        self.app.open_verdict(self.candidate, verdict, failed, params)
