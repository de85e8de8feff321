"""Composer: build a candidate by hand, see its metrics, verify it in a worker."""

from __future__ import annotations

import threading
import time

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static, TextArea
from textual.worker import get_current_worker

from rbengine import metrics
from rbengine import threshold as thr
from rbengine.action import LOGICS, SENDS, STOP, Action
from rbengine.candidate import Candidate
from rbengine.errors import CandidateError, RbError
from rbengine.notation import format_action, format_candidate, pseudo
from rbengine.oracle import verify
from rbengine.scenario import ATTACKERS, MODES, PAPER_N, default_f
from rbengine.size import MAX_N

from ..messages import VerificationDone, VerificationFailed
from ..present import scenario_label
from .base import RbScreen
from .dialogs import PathScreen

MAX_TYPES = 4
#: narrower than this, the two panes are stacked and scroll
NARROW = 100
#: columns the editing pane keeps when the results table asks for more room
LEFT_MIN = 60
HANDLER_TABLES = {"broadcast": "#broadcast-actions", "receive": "#receive-actions"}


def verify_params(scope: str, mode: str, n_text: str, attacker: str, backend: str,
                  f_text: str = "") -> dict:
    """Keyword arguments of rbengine.oracle.verify for the form's values (an
    empty F: each mode's largest F for N)."""
    n_text, f_text = n_text.strip(), f_text.strip()
    if n_text:
        try:
            n = int(n_text)
        except ValueError:
            raise RbError(f"N must be a whole number, got {n_text!r}") from None
    else:
        n = PAPER_N[mode]
    params = {"n": n, "attacker": attacker, "backend": backend}
    if f_text:
        try:
            f = int(f_text)
        except ValueError:
            raise RbError(f"F must be a whole number, got {f_text!r}") from None
        if not 0 <= f < n:
            raise RbError(f"F={f} is out of range for N={n} (0..{n - 1})")
        params["f"] = f
    if scope == "single":
        params["only"] = mode
        params["target"] = None
    else:
        params["target"] = mode
    return params


def describe_params(p: dict) -> str:
    what = f"only {p['only']}" if p.get("only") else f"target {p['target']}"
    att = f" ({p['attacker']})" if (p.get("only") or p.get("target")) == "byzantine" else ""
    f = f" F={p['f']}" if p.get("f") is not None else ""
    return f"{what}{att}, N={p['n']}{f}, {p['backend']}"


class ComposerScreen(RbScreen):
    HELP_TOPIC = "composer"
    BINDINGS = [
        Binding("ctrl+r", "verify", "Verify", id="verify"),
        Binding("escape", "cancel_verify", "Cancel", id="cancel-verify"),
        Binding("ctrl+o", "load", "Load", id="load"),
        Binding("ctrl+s", "save", "Save", id="save"),
        Binding("ctrl+n", "new", "New", id="new", show=False),
        Binding("delete", "remove_action", "Remove action", id="remove-action", show=False),
        Binding("ctrl+g", "show_verdict", "Verdict", id="show-verdict"),
        Binding("ctrl+t", "matrix", "Matrix", id="matrix"),
        Binding("ctrl+b", "app.switch_mode('ac-composer')", "Atomic commit", id="ac-composer",
                show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.actions: dict[str, list[Action]] = {"broadcast": [], "receive": []}
        self._synced_text: str | None = None  # the notation last written from the lists
        self._token = 0
        self._cancel = threading.Event()
        self._verifying_since: float | None = None
        self._verifying_params: dict | None = None
        self._ticker = None
        self.last_verdict = None
        self.last_params: dict | None = None
        self.last_candidate: Candidate | None = None
        self._notation_invalid = False  # the notation on screen does not parse
        self._result_shown: bool | None = None  # shown as current (True), stale (False)

    # ---- layout --------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from rbengine.oracle.backend import available as available_backends
        from rbengine.oracle.backend import interactive as preferred_backend
        types = [(f"type{t}", t) for t in range(MAX_TYPES)]
        yield Header()
        with Horizontal(id="composer-body"):
            with Vertical(id="composer-left"):
                yield Label("RB-Broadcast handler", classes="section")
                yield DataTable(id="broadcast-actions", cursor_type="row", zebra_stripes=True)
                yield Label("receive handler", classes="section")
                yield DataTable(id="receive-actions", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="picker"):
                    yield Select([("broadcast", "broadcast"), ("receive", "receive")], value="receive",
                                 allow_blank=False, compact=True, id="pick-handler")
                    yield Select([(lg, lg) for lg in LOGICS if lg != STOP], value="send_all",
                                 allow_blank=False, compact=True, id="pick-logic")
                    yield Select(types, value=0, allow_blank=False, compact=True, id="pick-send-type")
                    yield Select(types, value=0, allow_blank=False, compact=True, id="pick-cond-type")
                    yield Select([(t, t) for t in thr.TOKENS], value="0", allow_blank=False,
                                 compact=True, id="pick-threshold")
                    yield Button("Add", id="add-action", compact=True, variant="primary")
                yield Label("compact notation (edits apply as you type)", classes="section")
                yield TextArea(id="notation", soft_wrap=True, show_line_numbers=False)
                yield Static("", id="notation-error")
                yield Label("paper notation", classes="section")
                yield Static("", id="pseudo")
            with Vertical(id="composer-right"):
                yield Label("metrics", classes="section")
                yield Static("", id="metrics")
                yield Label("verify", classes="section")
                with Horizontal(classes="form-row"):
                    yield Select([("target (cumulative)", "target"), ("single mode", "single")],
                                 value="target", allow_blank=False, compact=True, id="verify-scope")
                    yield Select([(m, m) for m in MODES], value="crash", allow_blank=False,
                                 compact=True, id="verify-mode")
                with Horizontal(classes="form-row"):
                    yield Label("N", classes="form-label")
                    yield Input(placeholder="paper", id="verify-n", type="integer", compact=True)
                    yield Label("F", classes="form-label")
                    yield Input(placeholder="max", id="verify-f", type="integer", compact=True)
                    yield Select([(a, a) for a in ATTACKERS], value="full", allow_blank=False,
                                 compact=True, id="verify-attacker")
                    yield Select([(b, b) for b in available_backends()], value=preferred_backend(),
                                 allow_blank=False, compact=True, id="verify-backend")
                with Horizontal(classes="form-row"):
                    yield Button("Verify", id="verify-button", variant="success", compact=True)
                    yield Button("Cancel", id="cancel-button", variant="error", compact=True,
                                 disabled=True)
                yield Static("", id="verify-status")
                yield DataTable(id="checks", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Stack the panes when narrow; when wide, widen the right pane to the
        results table's columns (as far as the editing pane can spare)."""
        width = self.size.width
        self.set_class(width < NARROW, "narrow")
        right = self.query_one("#composer-right")
        table = self.query_one("#checks", DataTable)
        if width < NARROW:
            right.styles.width = "100%"
            return
        need = table.virtual_size.width + 5  # padding, border, scrollbar
        share = width * 2 // 5  # the 2fr of 3fr + 2fr
        right.styles.width = max(share, min(need, width - LEFT_MIN))

    def on_mount(self) -> None:
        for sel in HANDLER_TABLES.values():
            self.query_one(sel, DataTable).add_columns("#", "action")
        self.query_one("#checks", DataTable).add_columns("scenario", "result", "property", "states", "time")
        self._sync_picker()
        self.take_pending()
        self._refresh(from_text=False)

    def on_screen_resume(self) -> None:
        self.take_pending()

    # ---- the candidate ---------------------------------------------------------
    def candidate(self) -> Candidate:
        return Candidate(tuple(self.actions["broadcast"]), tuple(self.actions["receive"]))

    def current_candidate(self) -> Candidate:
        return self.candidate()

    def current_counterexample(self):
        return self.last_verdict.counterexample if self.result_is_current() else None

    def set_candidate(self, c: Candidate) -> None:
        self.actions = {"broadcast": list(c.broadcast), "receive": list(c.receive)}
        self._refresh(from_text=False)

    def take_pending(self) -> None:
        pending = self.app.pending_candidate
        if pending is None or not self.is_mounted:
            return
        self.app.pending_candidate = None
        candidate, source = pending
        self.set_candidate(candidate)
        if source:
            self.notify(f"Loaded the candidate from {source}.", title="Composer")

    def _refresh(self, from_text: bool) -> None:
        c = self.candidate()
        for h, sel in HANDLER_TABLES.items():
            table = self.query_one(sel, DataTable)
            row = table.cursor_row
            table.clear()
            for i, a in enumerate(self.actions[h], 1):
                table.add_row(str(i), format_action(a))
            if self.actions[h]:
                table.move_cursor(row=min(max(row, 0), len(self.actions[h]) - 1))
        if not from_text:
            self._notation_invalid = False
            self._synced_text = format_candidate(c)
            self.query_one("#notation", TextArea).text = self._synced_text
            self.query_one("#notation-error", Static).update("")
        self.query_one("#pseudo", Static).update(pseudo(c))
        self._update_metrics()
        self._show_result()

    def _update_metrics(self) -> None:
        c = self.candidate()
        mode = self.query_one("#verify-mode", Select).value
        try:
            n = int(self.query_one("#verify-n", Input).value or PAPER_N[mode])
            f_text = self.query_one("#verify-f", Input).value.strip()
            f = 0 if mode == "none" else int(f_text) if f_text else default_f(mode, n)
            text = metrics.text(c, n, f)
        except (RbError, ValueError) as exc:
            text = f"(metrics unavailable: {exc})"
        self.query_one("#metrics", Static).update(text)

    # ---- editing ----------------------------------------------------------------
    @on(Select.Changed, "#pick-logic")
    def _logic_changed(self) -> None:
        self._sync_picker()

    @on(Select.Changed, "#pick-threshold")
    def _threshold_changed(self) -> None:
        self._sync_picker()

    @on(Select.Changed, "#verify-mode")
    @on(Input.Changed, "#verify-n")
    @on(Input.Changed, "#verify-f")
    @on(Select.Changed, "#verify-scope")
    @on(Select.Changed, "#verify-attacker")
    @on(Select.Changed, "#verify-backend")
    def _params_changed(self) -> None:
        self._update_metrics()
        self._show_result()

    def _sync_picker(self) -> None:
        logic = self.query_one("#pick-logic", Select).value
        self.query_one("#pick-send-type", Select).disabled = logic not in SENDS
        tok = self.query_one("#pick-threshold", Select).value
        self.query_one("#pick-cond-type", Select).disabled = tok == "0"

    def picked_action(self) -> tuple[str, Action]:
        handler = self.query_one("#pick-handler", Select).value
        logic = self.query_one("#pick-logic", Select).value
        stype = self.query_one("#pick-send-type", Select).value if logic in SENDS else None
        tok = self.query_one("#pick-threshold", Select).value
        ctype = self.query_one("#pick-cond-type", Select).value
        return handler, Action.make(logic, stype, ctype, tok)

    @on(Button.Pressed, "#add-action")
    def action_add_action(self) -> None:
        try:
            handler, action = self.picked_action()
        except RbError as exc:
            self.app.report_error(exc, "Composer")
            return
        self.actions[handler].append(action)
        self._refresh(from_text=False)
        table = self.query_one(HANDLER_TABLES[handler], DataTable)
        table.move_cursor(row=len(self.actions[handler]) - 1)

    def action_remove_action(self) -> None:
        focused = self.focused
        for h, sel in HANDLER_TABLES.items():
            table = self.query_one(sel, DataTable)
            if focused is table and self.actions[h]:
                del self.actions[h][table.cursor_row]
                self._refresh(from_text=False)
                return

    def action_new(self) -> None:
        self.set_candidate(Candidate())

    @on(TextArea.Changed, "#notation")
    def _notation_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.text == self._synced_text:
            return  # our own rendering of the lists, not an edit
        error = self.query_one("#notation-error", Static)
        try:
            c = Candidate.loads(event.text_area.text) if event.text_area.text.strip() else Candidate()
        except CandidateError as exc:
            error.update(f"[b red]✗[/] {escape(str(exc))}")
            self._notation_invalid = True
            self._show_result()
            return
        self._notation_invalid = False
        error.update("[green]✓ parsed[/]")
        self.actions = {"broadcast": list(c.broadcast), "receive": list(c.receive)}
        self._refresh(from_text=True)

    # ---- load / save --------------------------------------------------------------
    def action_load(self) -> None:
        def done(path: str | None) -> None:
            if not path:
                return
            try:
                self.set_candidate(Candidate.load(path))
            except RbError as exc:
                self.app.report_error(exc, "Load")
                return
            self.notify(f"Loaded {path}", title="Composer")
        self.app.push_screen(PathScreen("Load a candidate (JSON or compact notation) from:"), done)

    def action_save(self) -> None:
        c = self.candidate()

        def done(path: str | None) -> None:
            if not path:
                return
            try:
                c.save(path)
            except OSError as exc:
                self.app.report_error(f"cannot write {path}: {exc.strerror or exc}", "Save")
                return
            self.notify(f"Saved {path}", title="Composer")
        self.app.push_screen(PathScreen("Save the candidate as JSON to:",
                                        f"candidate-{c.content_hash()[:8]}.json"), done)

    # ---- verification ----------------------------------------------------------------
    def form_params(self) -> dict:
        return verify_params(self.query_one("#verify-scope", Select).value,
                             self.query_one("#verify-mode", Select).value,
                             self.query_one("#verify-n", Input).value,
                             self.query_one("#verify-attacker", Select).value,
                             self.query_one("#verify-backend", Select).value,
                             self.query_one("#verify-f", Input).value)

    @property
    def verifying(self) -> bool:
        return self._verifying_since is not None

    @on(Button.Pressed, "#verify-button")
    def action_verify(self) -> None:
        if self._notation_invalid:
            self.app.report_error("the compact notation does not parse: fix it (or undo the edit) "
                                  "before verifying", "Verify")
            return
        try:
            params = self.form_params()
        except RbError as exc:
            self.app.report_error(exc, "Verify")
            return
        c = self.candidate()
        self._cancel.set()  # a previous verification's result is of no interest now
        self._cancel = threading.Event()
        self._token += 1
        self._verifying_since = time.monotonic()
        self._verifying_params = params
        self.query_one("#cancel-button", Button).disabled = False
        self._forget_result()
        self._tick()
        if self._ticker is None:
            self._ticker = self.set_interval(0.25, self._tick)
        self.run_verification(self._token, c, params, self._cancel)

    def _tick(self) -> None:
        if self._verifying_since is None:
            return
        secs = time.monotonic() - self._verifying_since
        self.query_one("#verify-status", Static).update(
            f"[b]verifying[/] {describe_params(self._verifying_params)} … {secs:.1f}s  (Esc cancels)")

    @work(thread=True, exclusive=True, exit_on_error=False, group="verify")
    def run_verification(self, token: int, candidate: Candidate, params: dict,
                         cancel: threading.Event) -> None:
        worker = get_current_worker()
        try:
            verdict = verify(candidate, cancel=lambda: cancel.is_set() or worker.is_cancelled, **params)
        except RbError as exc:
            self.post_message(VerificationFailed(token, str(exc), cancelled=cancel.is_set()))
        except Exception as exc:  # a backend bug must not take the app down
            self.post_message(VerificationFailed(token, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(VerificationDone(token, candidate, params, verdict))

    def _stop_verifying(self, status: str) -> None:
        self._verifying_since = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.query_one("#cancel-button", Button).disabled = True
        self.query_one("#verify-status", Static).update(status)

    @on(Button.Pressed, "#cancel-button")
    def action_cancel_verify(self) -> None:
        if not self.verifying:
            return
        self._cancel.set()
        self.workers.cancel_group(self, "verify")
        self._token += 1  # whatever the worker still posts is stale
        self._stop_verifying("[yellow]verification cancelled[/]: no result")

    def on_verification_done(self, message: VerificationDone) -> None:
        if message.token != self._token:
            return
        v = message.verdict
        self.last_verdict, self.last_params, self.last_candidate = v, message.params, message.candidate
        self._stop_verifying("")
        self._show_result()
        self.app.set_verdict(message.candidate, v, params=message.params)
        if self.has_class("narrow"):  # stacked: bring the result into view
            status = self.query_one("#verify-status")
            self.call_after_refresh(status.scroll_visible, animate=False)

    def on_verification_failed(self, message: VerificationFailed) -> None:
        if message.token != self._token:
            return
        self._stop_verifying(f"[red]no verdict:[/] {message.error}")
        self.app.report_error(message.error, "Verification")

    # ---- the result belongs to what is on screen ----------------------------------------
    def result_is_current(self) -> bool:
        """The last verdict is of the candidate and the settings on screen."""
        if self.last_verdict is None or self._notation_invalid:
            return False
        try:
            params = self.form_params()
        except RbError:
            return False
        return self.last_candidate == self.candidate() and self.last_params == params

    def _forget_result(self) -> None:
        """No result on screen (a verification starts, fails or is cancelled)."""
        self.last_verdict = self.last_params = self.last_candidate = None
        self._result_shown = None
        self.query_one("#checks", DataTable).clear()

    def _show_result(self) -> None:
        """Show the last verdict as the result, or say it is stale once the
        candidate, the notation or a setting changed since it was computed."""
        if self.verifying or self.last_verdict is None:
            return
        current = self.result_is_current()
        if current == self._result_shown:
            return
        self._result_shown = current
        v, table = self.last_verdict, self.query_one("#checks", DataTable)
        table.clear()
        verdict = "[b green]CORRECT[/]" if v.correct else f"[b red]INCORRECT[/] {v.summary()[10:]}"
        done = f"{verdict}  {describe_params(self.last_params)}, {v.states} states, {v.seconds:.2f}s"
        if not current:
            self.query_one("#verify-status", Static).update(
                f"[b yellow]stale[/]: the last verdict ({done}) is of another candidate or other "
                f"settings; Ctrl+R verifies what is on screen")
            return
        self.query_one("#verify-status", Static).update(done)
        for c in v.checks:
            table.add_row(scenario_label(c), "[green]correct[/]" if c.correct else "[red]incorrect[/]",
                          c.property or "", str(c.states), f"{c.seconds:.2f}s")
        self.call_after_refresh(self._fit)

    @on(DataTable.RowSelected, "#checks")
    def _check_selected(self, event: DataTable.RowSelected) -> None:
        if self.last_verdict is not None and self.result_is_current():
            self.app.open_verdict(self.last_candidate, self.last_verdict, event.cursor_row, self.last_params)

    def action_show_verdict(self) -> None:
        if self.last_verdict is None:
            self.notify("Verify the candidate first (Ctrl+R).", severity="warning")
            return
        if not self.result_is_current():
            self.notify("The last verdict is stale: verify this candidate first (Ctrl+R).",
                        severity="warning")
            return
        failed = next((i for i, c in enumerate(self.last_verdict.checks) if not c.correct), None)
        self.app.open_verdict(self.last_candidate, self.last_verdict, failed, self.last_params)

    def action_matrix(self) -> None:
        """The candidate's matrix, N from the form's N to 3 more, for the form's mode."""
        if self._notation_invalid:
            self.app.report_error("the compact notation does not parse: fix it first", "Matrix")
            return
        try:
            p = self.form_params()
            if p["n"] < 2 or p["n"] > MAX_N:
                raise RbError(f"N={p['n']} is out of range for a matrix (2..{MAX_N})")
        except RbError as exc:
            self.app.report_error(exc, "Matrix")
            return
        from .matrix import SPAN, MatrixScreen
        self.app.push_screen(MatrixScreen(
            self.candidate(), p["target"], p.get("only"), p["attacker"], p["backend"],
            (p["n"], min(MAX_N, p["n"] + SPAN)), title="of the Composer's candidate"))

    def palette_commands(self):
        yield ("Composer: verify the candidate", self.action_verify, "Run the oracle (Ctrl+R)")
        yield ("Composer: matrix of the candidate", self.action_matrix,
               "Verdicts at every (N, F) from the form's N (Ctrl+T)")
        yield ("Composer: load a candidate file", self.action_load, "JSON or compact notation")
        yield ("Composer: save the candidate as JSON", self.action_save, "")
        yield ("Composer: new empty candidate", self.action_new, "")
        yield ("Composer: atomic commit machines", lambda: self.app.switch_mode("ac-composer"),
               "The atomic commit Composer: a transition table and its state diagram (Ctrl+B)")
        for name in ("alg1", "alg2", "alg3", "fig3", "bracha"):
            yield (f"Composer: open example {name}", lambda n=name: self.open_example(n),
                   "A candidate from the paper")

    def open_example(self, name: str) -> None:
        self.set_candidate(EXAMPLES[name])


EXAMPLES = {
    "alg1": Candidate.loads("broadcast: send_all type0\nreceive: deliver"),
    "alg2": Candidate.loads("broadcast: send_myself type0\nreceive: send_neighbours type1; deliver"),
    "alg3": Candidate.loads("broadcast: send_all type0\nreceive: send_all type1 if type0 from 1; "
                            "deliver if type1 from (N+F)/2; send_all type1 if type1 from F+1"),
    "fig3": Candidate.loads("broadcast: send_neighbours type0\n"
                            "receive: send_neighbours type1 if type0 from 1; "
                            "deliver if type1 from F+1; send_neighbours type1 if type1 from F+1"),
    "bracha": Candidate.loads("broadcast: send_all type0\nreceive: send_all type1 if type0 from origin; "
                              "send_all type2 if type1 from (N+F)/2; send_all type2 if type2 from F+1; "
                              "deliver if type2 from 2F+1"),
}
