"""The atomic commit Composer: edit a machine's transition table by hand, see
it as a state diagram, verify it with the built-in checker (and Z3) in a worker.

A machine here is always complete: one next state for every input (own state,
multiset received from the others) of docs/semantics-atomic-commit.md §1, so
what is verified is exactly the table on screen.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import time
from collections import Counter

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static
from textual.worker import get_current_worker

from rbengine.atomic_commit import checker, protocols
from rbengine.atomic_commit.machine import (
    ABORT,
    COMMIT,
    LOCAL_ABORT,
    LOCAL_COMMIT,
    Machine,
    actions,
    keys,
    state_names,
    symbol_names,
)
from rbengine.atomic_commit.model import Model
from rbengine.atomic_commit.properties import DESCRIPTION, PROPERTY_SETS
from rbengine.atomic_commit.table import received_text
from rbengine.errors import OracleError, RbError

from ..messages import MachineVerificationFailed, MachineVerified
from .base import RbScreen
from .dialogs import PathScreen

#: a table larger than this is refused: the editor shows every input as a row
MAX_ENTRIES = 5000
#: narrower than this, the panes are stacked and scroll
NARROW = 100
STATE_STYLE = {"COMMIT": "bold green", "ABORT": "bold red"}
#: Z3 shares one context per process: one check at a time, even after a cancel
Z3_LOCK = threading.Lock()


def z3_available() -> bool:
    return importlib.util.find_spec("z3") is not None


def verifiers() -> list[tuple[str, str]]:
    out = [("built-in", "builtin")]
    if z3_available():
        out.append(("built-in + Z3", "builtin+z3"))
    return out


# ---- the table as text and back ---------------------------------------------------------
def parse_received(text: str, n: int, k: int) -> tuple[int, ...]:
    """Counts of each symbol from text such as ``LOCAL_COMMITx2``, ``LOCAL_COMMIT LOST``
    or ``LOCAL_COMMIT:1, LOST:1`` (what the table shows); raises RbError."""
    syms = symbol_names(k)
    index = {s.lower(): i for i, s in enumerate(syms)}
    counts = [0] * len(syms)
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        m = re.fullmatch(r"([A-Za-z_][A-Za-z_0-9]*?)(?:(?:x|:|\*)(\d+))?", token)
        name = m.group(1).lower() if m else None
        if name not in index:
            raise RbError(f"received: unknown symbol {token!r} (known: {', '.join(syms)})")
        counts[index[name]] += int(m.group(2)) if m.group(2) else 1
    if sum(counts) != n - 1:
        raise RbError(f"received: {sum(counts)} messages from the others, N={n} means {n - 1}")
    return tuple(counts)


def default_next(state: int, k: int) -> int:
    """The next state of an input nothing else decides: a named or unnamed state
    stays; a vote aborts (the votes are not next states)."""
    return state if state in actions(k) else ABORT


def resize(machine: Machine, n: int, k: int) -> Machine:
    """The machine for other sizes: every input it has keeps its next state (when
    that is still one of the K), every other input of a state gets the state's
    most common next state, else default_next."""
    acts = set(actions(k))
    common = {}
    for s in range(4 + k):
        tos = Counter(t for (s2, _), t in machine.table.items() if s2 == s and t in acts)
        common[s] = tos.most_common(1)[0][0] if tos else default_next(s, k)
    table = {}
    for key in keys(n, k):
        t = machine.table.get(key)
        table[key] = t if t in acts else common[key[0]]
    return Machine(n, k, table)


def example(name: str, n: int, k: int) -> Machine:
    """A protocol of rbengine.atomic_commit.protocols for N processes (K at least 1:
    both wait in U1)."""
    return protocols.machine(name, n, max(k, 1))


def row_key(key) -> str:
    s, c = key
    return f"{s}:{','.join(map(str, c))}"


def key_of(text: str) -> tuple:
    s, c = text.split(":")
    return int(s), tuple(int(x) for x in c.split(","))


def styled(name: str) -> Text:
    return Text(name, STATE_STYLE.get(name, ""))


# ---- the state diagram ---------------------------------------------------------------------
def layers(k: int) -> list[tuple[str, list[int]]]:
    """The diagram's layers, top to bottom: the votes, the unnamed states, the decisions."""
    out = [("votes", [LOCAL_COMMIT, LOCAL_ABORT])]
    if k:
        out.append(("unnamed (waiting)", list(range(4, 4 + k))))
    out.append(("decisions", [COMMIT, ABORT]))
    return out


def edges(machine: Machine) -> dict[int, list[tuple[int, str]]]:
    """Per own state, (next state, label) for every next state some input leads to,
    the most inputs first. A label says which inputs: all of them, the state's
    "otherwise" (most common), the one or two multisets, or how many."""
    out = {}
    for s in range(machine.states):
        by_to: dict[int, list] = {}
        for (s2, c), t in machine.table.items():
            if s2 == s:
                by_to.setdefault(t, []).append(c)
        total = sum(len(v) for v in by_to.values())
        ranked = sorted(by_to.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        rows = []
        for i, (t, inputs) in enumerate(ranked):
            if len(inputs) == total:
                label = f"every input ({total})"
            elif len(inputs) <= 2:
                label = " | ".join(received_text(machine.k, c)
                                   for c in sorted(inputs, key=lambda c: [-x for x in c]))
            elif i == 0:
                label = f"otherwise ({len(inputs)} inputs)"
            else:
                label = f"{len(inputs)} inputs"
            rows.append((t, label))
        out[s] = rows
    return out


def diagram(machine: Machine, width: int = 60) -> Text:
    """The machine as a layered drawing: each layer's states as boxes, then the
    edges out of them (``S ──▶ T  label``; ``↺`` when an input keeps the state)."""
    names = state_names(machine.k)
    out = Text()
    all_edges = edges(machine)
    for title, states in layers(machine.k):
        out.append(f"{title}\n", "bold")
        # boxes, wrapped to the width
        rows, row, used = [], [], 0
        for s in states:
            w = len(names[s]) + 4
            if row and used + w + 1 > width:
                rows.append(row)
                row, used = [], 0
            row.append(s)
            used += w + 1
        if row:
            rows.append(row)
        for row in rows:
            top = " ".join("┌" + "─" * (len(names[s]) + 2) + "┐" for s in row)
            bottom = " ".join("└" + "─" * (len(names[s]) + 2) + "┘" for s in row)
            out.append(top + "\n")
            for j, s in enumerate(row):
                out.append("│ " if j == 0 else " │ ")
                out.append(names[s], STATE_STYLE.get(names[s], ""))
                out.append(" │")
            out.append("\n" + bottom + "\n")
        src_w = max(len(names[s]) for s in states)
        to_w = max(len(n) for n in names) + 1
        for s in states:
            for t, label in all_edges.get(s, []):
                out.append(f"  {names[s]:<{src_w}} ")
                if t == s:
                    out.append(f"{'↺':<{to_w + 4}}")
                else:
                    out.append("──▶ ")
                    out.append(f"{names[t]:<{to_w}}", STATE_STYLE.get(names[t], ""))
                out.append(f" {label}\n", "dim")
    out.rstrip()
    return out


def describe_model(params: dict) -> str:
    f = "" if params.get("f") is None else f" f={params['f']}"
    return f"N={params['n']} K={params['k']} R={params['rounds']}{f} {params['properties']}"


def describe(params: dict) -> str:
    return describe_model(params) + (", built-in + Z3" if params["verifier"] == "builtin+z3"
                                     else ", built-in")


def verdict_of(machine: Machine, params: dict, r) -> dict:
    """What ACVerdictScreen shows of one verifier's result."""
    return {"hash": machine.hash(), "correct": r.correct, "property": r.property,
            "counterexample": r.counterexample.to_json() if r.counterexample else None,
            "backend": r.backend, "where": describe_model(params)}


class ACComposerScreen(RbScreen):
    HELP_TOPIC = "ac_composer"
    BINDINGS = [
        Binding("ctrl+r", "verify", "Verify", id="ac-verify"),
        Binding("escape", "cancel_verify", "Cancel", id="ac-cancel-verify"),
        Binding("ctrl+g", "show_verdict", "Counterexample", id="ac-show-verdict"),
        Binding("c", "set_next('COMMIT')", "COMMIT", id="ac-set-commit"),
        Binding("a", "set_next('ABORT')", "ABORT", id="ac-set-abort"),
        Binding("u", "next_unnamed", "U1..UK", id="ac-set-unnamed"),
        Binding("o", "set_state_otherwise", "Whole state", id="ac-set-state", show=False),
        *[Binding(str(i), f"set_next('U{i}')", f"U{i}", id=f"ac-set-u{i}", show=False)
          for i in range(1, 9)],
        Binding("ctrl+o", "load", "Load", id="ac-load", show=False),
        Binding("ctrl+s", "save", "Save", id="ac-save", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.machine = example("vote-exchange", 3, 1)
        self.source = "example vote-exchange"
        self._loaded_hash = self.machine.hash()
        self._token = 0
        self._cancel = threading.Event()
        self._verifying_since: float | None = None
        self._verifying_params: dict | None = None
        self._ticker = None
        self.results: list = []  # CheckResults of last_machine under last_params
        self.last_machine: Machine | None = None
        self.last_params: dict | None = None
        self._shown: bool = False  # a result is on screen

    # ---- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        props = [(p, p) for p in PROPERTY_SETS]
        yield Header()
        with Horizontal(id="acc-body"):
            with Vertical(id="acc-left"):
                with Horizontal(classes="form-row"):
                    yield Label("N", classes="form-label")
                    yield Input(value="3", id="acc-n", type="integer", compact=True)
                    yield Label("K", classes="form-label")
                    yield Input(value="1", id="acc-k", type="integer", compact=True)
                    yield Select([(name, name) for name in protocols.RULES], prompt="example",
                                 compact=True, id="acc-example")
                    yield Select([("every state", -1)], value=-1, allow_blank=False,
                                 compact=True, id="acc-filter")
                yield Static("", id="acc-title")
                yield DataTable(id="acc-table", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="acc-edit"):
                    yield Select([("LOCAL_COMMIT", 0)], value=0, allow_blank=False,
                                 compact=True, id="acc-from")
                    yield Input(placeholder="received, e.g. LOCAL_COMMITx2", id="acc-received",
                                compact=True)
                    yield Select([("COMMIT", COMMIT)], value=COMMIT, allow_blank=False,
                                 compact=True, id="acc-to")
                    yield Button("Set", id="acc-set", compact=True, variant="primary")
                yield Static("", id="acc-error")
            with Vertical(id="acc-right"):
                yield Label("state diagram", classes="section")
                with VerticalScroll(id="acc-diagram-box"):
                    yield Static("", id="acc-diagram")
                yield Label("verify", classes="section")
                with Horizontal(classes="form-row"):
                    yield Label("R", classes="form-label")
                    yield Input(value="2", id="acc-rounds", type="integer", compact=True)
                    yield Label("f", classes="form-label")
                    yield Input(placeholder="N-1", id="acc-f", type="integer", compact=True)
                    yield Select(props, value="classical", allow_blank=False, compact=True,
                                 id="acc-properties")
                    yield Select(verifiers(), value="builtin", allow_blank=False, compact=True,
                                 id="acc-verifier")
                with Horizontal(classes="form-row"):
                    yield Button("Verify", id="acc-verify-button", variant="success",
                                 compact=True)
                    yield Button("Cancel", id="acc-cancel-button", variant="error", compact=True,
                                 disabled=True)
                yield Static("", id="acc-status")
                yield DataTable(id="acc-checks", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#acc-table", DataTable)
        for name in ("from", "received from the others", "to"):
            table.add_column(name, key=name)
        self.query_one("#acc-checks", DataTable).add_columns("verifier", "result", "property",
                                                             "explored", "time")
        self._sizes_changed_to(self.machine)
        self.take_pending()
        table.focus()  # the edit keys act on its highlighted row

    def on_screen_resume(self) -> None:
        self.take_pending()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "narrow")

    # ---- the machine on screen -------------------------------------------------------------
    def set_machine(self, machine: Machine, source: str = "", settings: dict | None = None) -> None:
        """Show `machine` (with its N and K); settings: rounds, f, properties."""
        if len(keys(machine.n, machine.k)) > MAX_ENTRIES:
            self.app.report_error(f"N={machine.n}, K={machine.k} has "
                                  f"{len(keys(machine.n, machine.k))} inputs: the editor shows at "
                                  f"most {MAX_ENTRIES}", "Composer")
            return
        self.machine = machine.copy()
        self.source, self._loaded_hash = source, machine.hash()
        settings = settings or {}
        self.query_one("#acc-n", Input).value = str(machine.n)
        self.query_one("#acc-k", Input).value = str(machine.k)
        if settings.get("rounds") is not None:
            self.query_one("#acc-rounds", Input).value = str(settings["rounds"])
        if "f" in settings:
            f = settings["f"]
            self.query_one("#acc-f", Input).value = "" if f is None or f == machine.n - 1 else str(f)
        if settings.get("properties") in PROPERTY_SETS:
            self.query_one("#acc-properties", Select).value = settings["properties"]
        self._sizes_changed_to(self.machine)

    def take_pending(self) -> None:
        pending = self.app.pending_machine
        if pending is None or not self.is_mounted:
            return
        self.app.pending_machine = None
        machine, source, settings = pending
        self.set_machine(machine, source, settings)
        if source:
            self.notify(f"Loaded the machine of {source}.", title="Atomic commit Composer")

    def _sizes_changed_to(self, machine: Machine) -> None:
        """Rebuild what depends on N and K: the selects, the table, the diagram."""
        self.machine = machine
        names = state_names(machine.k)
        self.query_one("#acc-filter", Select).set_options(
            [("every state", -1)] + [(name, i) for i, name in enumerate(names)])
        self.query_one("#acc-filter", Select).value = -1
        self.query_one("#acc-from", Select).set_options([(name, i) for i, name in enumerate(names)])
        self.query_one("#acc-from", Select).value = 0
        self.query_one("#acc-to", Select).set_options([(names[a], a) for a in actions(machine.k)])
        self.query_one("#acc-to", Select).value = COMMIT
        self.query_one("#acc-error", Static).update("")
        self._fill_table()
        self._changed()

    def _fill_table(self) -> None:
        table = self.query_one("#acc-table", DataTable)
        names = state_names(self.machine.k)
        only = self.query_one("#acc-filter", Select).value
        table.clear()
        for key in keys(self.machine.n, self.machine.k):
            if only not in (-1, Select.NULL) and key[0] != only:
                continue
            table.add_row(names[key[0]], received_text(self.machine.k, key[1]),
                          styled(names[self.machine.table[key]]), key=row_key(key))
        self._title()

    def _title(self) -> None:
        m = self.machine
        src = f" - {escape(self.source)}" if self.source else ""
        if self.source and m.hash() != self._loaded_hash:
            src += ", edited"
        self.query_one("#acc-title", Static).update(
            f"[b]transition table[/] {len(m.table)} inputs, {m.hash()[:8]}{src}")

    def _changed(self) -> None:
        """The table changed: redraw the diagram, and the result goes if it is not of it."""
        self.query_one("#acc-diagram", Static).update(diagram(self.machine))
        self._title()
        self._show_result()

    def current_key(self) -> tuple | None:
        table = self.query_one("#acc-table", DataTable)
        if not table.row_count:
            return None
        try:
            rk = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return key_of(rk.value) if rk is not None and rk.value else None

    def set_entry(self, key: tuple, to: int, refresh: bool = True) -> None:
        """Give input `key` the next state `to` (one of COMMIT, ABORT, U1..UK)."""
        if key not in self.machine.table:
            raise RbError("no such input for this N and K")
        if to not in actions(self.machine.k):
            raise RbError(f"{state_names(self.machine.k)[to] if to < self.machine.states else to} "
                          f"is not a next state (COMMIT, ABORT, U1..U{self.machine.k})")
        if self.machine.table[key] == to:
            return
        self.machine.table[key] = to
        table = self.query_one("#acc-table", DataTable)
        rk = row_key(key)
        if rk in table.rows:
            table.update_cell(rk, "to", styled(state_names(self.machine.k)[to]))
        if refresh:
            self._changed()

    # ---- editing -------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#acc-table")
    def _row_highlighted(self) -> None:
        key = self.current_key()
        if key is None:
            return
        self.query_one("#acc-from", Select).value = key[0]
        self.query_one("#acc-received", Input).value = received_text(self.machine.k, key[1])
        self.query_one("#acc-to", Select).value = self.machine.table[key]

    def _error(self, text: str) -> None:
        self.query_one("#acc-error", Static).update(f"[red]{escape(text)}[/]" if text else "")

    def action_set_next(self, name: str) -> None:
        key = self.current_key()
        names = state_names(self.machine.k)
        if key is None:
            return
        if name not in names:
            self._error(f"{name}: this machine has {self.machine.k} unnamed state(s)")
            return
        self._error("")
        self.set_entry(key, names.index(name))
        self._row_highlighted()

    def action_next_unnamed(self) -> None:
        key = self.current_key()
        if key is None:
            return
        k = self.machine.k
        if k == 0:
            self._error("K=0: this machine has no unnamed state")
            return
        t = self.machine.table[key]
        self.action_set_next(f"U{(t - 4 + 1) % k + 1 if t >= 4 else 1}")

    def action_set_state_otherwise(self) -> None:
        """Every input of the highlighted row's own state gets its next state."""
        key = self.current_key()
        if key is None:
            return
        to = self.machine.table[key]
        for other in [x for x in self.machine.table if x[0] == key[0]]:
            self.set_entry(other, to, refresh=False)
        self._changed()
        self.notify(f"Every input of {state_names(self.machine.k)[key[0]]} now goes to "
                    f"{state_names(self.machine.k)[to]}.", title="Atomic commit Composer")

    @on(Button.Pressed, "#acc-set")
    @on(Input.Submitted, "#acc-received")
    def action_set_from_fields(self) -> None:
        m = self.machine
        try:
            s = self.query_one("#acc-from", Select).value
            counts = parse_received(self.query_one("#acc-received", Input).value, m.n, m.k)
            self.set_entry((s, counts), self.query_one("#acc-to", Select).value)
        except RbError as exc:
            self._error(str(exc))
            return
        self._error("")
        table = self.query_one("#acc-table", DataTable)
        rk = row_key((s, counts))
        if rk in table.rows:
            table.move_cursor(row=table.get_row_index(rk))

    @on(Select.Changed, "#acc-filter")
    def _filter_changed(self) -> None:
        self._fill_table()

    @on(Select.Changed, "#acc-example")
    def _example_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        self.open_example(str(event.value))
        event.select.clear()

    def open_example(self, name: str) -> None:
        try:
            n, k = self.form_sizes()
        except RbError:
            n, k = self.machine.n, self.machine.k
        self.set_machine(example(name, n, k), f"example {name}")

    @on(Input.Changed, "#acc-n")
    @on(Input.Changed, "#acc-k")
    def _sizes_typed(self) -> None:
        try:
            n, k = self.form_sizes()
        except RbError as exc:
            self._error(str(exc))
            self._show_result()
            return
        if (n, k) != (self.machine.n, self.machine.k):
            self._sizes_changed_to(resize(self.machine, n, k))
        else:
            self._error("")
            self._show_result()

    @on(Input.Changed, "#acc-rounds")
    @on(Input.Changed, "#acc-f")
    @on(Select.Changed, "#acc-properties")
    @on(Select.Changed, "#acc-verifier")
    def _params_changed(self) -> None:
        self._show_result()

    def form_sizes(self) -> tuple[int, int]:
        def whole(sel: str, what: str) -> int:
            text = self.query_one(sel, Input).value.strip()
            try:
                return int(text)
            except ValueError:
                raise RbError(f"{what} must be a whole number, got {text!r}") from None
        n, k = whole("#acc-n", "N"), whole("#acc-k", "K")
        if n < 2:
            raise RbError(f"N must be at least 2, got {n}")
        if not 0 <= k <= 8:
            raise RbError(f"unnamed states K must be 0..8, got {k}")
        if len(keys(n, k)) > MAX_ENTRIES:
            raise RbError(f"N={n}, K={k} has {len(keys(n, k))} inputs: the editor shows at "
                          f"most {MAX_ENTRIES}")
        return n, k

    def form_params(self) -> dict:
        """The verification's settings from the form (raises RbError)."""
        n, k = self.form_sizes()
        text = self.query_one("#acc-rounds", Input).value.strip()
        try:
            rounds = int(text)
        except ValueError:
            raise RbError(f"R must be a whole number, got {text!r}") from None
        f_text = self.query_one("#acc-f", Input).value.strip()
        try:
            f = int(f_text) if f_text else None
        except ValueError:
            raise RbError(f"f must be a whole number, got {f_text!r}") from None
        params = {"n": n, "k": k, "rounds": rounds, "f": f,
                  "properties": self.query_one("#acc-properties", Select).value,
                  "verifier": self.query_one("#acc-verifier", Select).value}
        model_of(params)  # N, R, f in range
        return params

    # ---- load / save ------------------------------------------------------------------------
    def action_load(self) -> None:
        def done(path: str | None) -> None:
            if not path:
                return
            try:
                m = Machine.load(path)
            except RbError as exc:
                self.app.report_error(exc, "Load")
                return
            self.set_machine(m, path)
        self.app.push_screen(PathScreen("Load an atomic commit machine (JSON) from:"), done)

    def action_save(self) -> None:
        text = self.machine.dumps() + "\n"

        def done(path: str | None) -> None:
            if not path:
                return
            try:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
            except OSError as exc:
                self.app.report_error(f"cannot write {path}: {exc.strerror or exc}", "Save")
                return
            self.notify(f"Saved {path}", title="Atomic commit Composer")
        self.app.push_screen(PathScreen("Save the machine as JSON to:",
                                        f"machine-{self.machine.hash()[:8]}.json"), done)

    # ---- verification ------------------------------------------------------------------------
    @property
    def verifying(self) -> bool:
        return self._verifying_since is not None

    @on(Button.Pressed, "#acc-verify-button")
    def action_verify(self) -> None:
        try:
            params = self.form_params()
            if (params["n"], params["k"]) != (self.machine.n, self.machine.k):
                raise RbError("the table is not of the form's N and K yet")
        except RbError as exc:
            self.app.report_error(exc, "Verify")
            return
        machine = self.machine.copy()
        self._cancel.set()
        self._cancel = threading.Event()
        self._token += 1
        self._verifying_since = time.monotonic()
        self._verifying_params = params
        self.query_one("#acc-cancel-button", Button).disabled = False
        self._forget_result()
        self._tick()
        if self._ticker is None:
            self._ticker = self.set_interval(0.25, self._tick)
        self.run_verification(self._token, machine, params, self._cancel)

    def _tick(self) -> None:
        if self._verifying_since is None:
            return
        secs = time.monotonic() - self._verifying_since
        self.query_one("#acc-status", Static).update(
            f"[b]verifying[/] {describe(self._verifying_params)} … {secs:.1f}s  (Esc cancels)")

    @work(thread=True, exclusive=True, exit_on_error=False, group="ac-verify")
    def run_verification(self, token: int, machine: Machine, params: dict,
                         cancel: threading.Event) -> None:
        worker = get_current_worker()

        def cancelled() -> bool:
            return cancel.is_set() or worker.is_cancelled

        try:
            model = model_of(params)
            results = [checker.check(machine, model, cancel=cancelled)]
            if params["verifier"] == "builtin+z3":
                from rbengine.atomic_commit import smt
                with Z3_LOCK:  # a cancelled Z3 check still running is waited for here
                    if cancelled():
                        raise OracleError("verification cancelled")
                    results.append(smt.check(machine, model))
        except RbError as exc:
            self.post_message(MachineVerificationFailed(token, str(exc), cancelled=cancel.is_set()))
        except Exception as exc:  # a verifier's bug must not take the app down
            self.post_message(MachineVerificationFailed(token, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(MachineVerified(token, machine, params, results))

    def _stop_verifying(self, status: str) -> None:
        self._verifying_since = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.query_one("#acc-cancel-button", Button).disabled = True
        self.query_one("#acc-status", Static).update(status)

    @on(Button.Pressed, "#acc-cancel-button")
    def action_cancel_verify(self) -> None:
        if not self.verifying:
            return
        self._cancel.set()
        self.workers.cancel_group(self, "ac-verify")
        self._token += 1  # whatever the worker still posts is dropped
        self._stop_verifying("[yellow]verification cancelled[/]: no result")

    def on_machine_verified(self, message: MachineVerified) -> None:
        if message.token != self._token:
            return
        self.results, self.last_machine, self.last_params = \
            message.results, message.machine, message.params
        self._stop_verifying("")
        self._shown = False
        self._show_result()

    def on_machine_verification_failed(self, message: MachineVerificationFailed) -> None:
        if message.token != self._token:
            return
        self._stop_verifying(f"[red]no verdict:[/] {escape(message.error)}")
        self.app.report_error(message.error, "Verification")

    # ---- a result belongs to the table on screen ------------------------------------------------
    def result_is_current(self) -> bool:
        """The last result is of the table and the settings on screen."""
        if not self.results or self.last_machine is None:
            return False
        try:
            params = self.form_params()
        except RbError:
            return False
        m = self.machine
        return (self.last_machine.n, self.last_machine.k, self.last_machine.table) == \
            (m.n, m.k, m.table) and params == self.last_params

    def _forget_result(self) -> None:
        self.results, self.last_machine, self.last_params = [], None, None
        self._shown = False
        self.query_one("#acc-checks", DataTable).clear()

    def _show_result(self) -> None:
        """Show the last result while it is of what is on screen; once the table
        or a setting changes, clear it (never a verdict of another machine)."""
        if self.verifying or not self.results:
            return
        if not self.result_is_current():
            self._forget_result()
            self.query_one("#acc-status", Static).update(
                "[yellow]result cleared[/]: the table or a setting changed since it was "
                "verified; Ctrl+R verifies what is on screen")
            return
        if self._shown:
            return
        self._shown = True
        table = self.query_one("#acc-checks", DataTable)
        table.clear()
        for r in self.results:
            table.add_row("Z3" if r.backend == "z3" else "built-in",
                          "[green]correct[/]" if r.correct else "[red]incorrect[/]",
                          r.property or "", str(r.configs) if r.configs else "-",
                          f"{r.seconds:.2f}s")
        first = self.results[0]
        agree = all(r.correct == first.correct for r in self.results)
        if first.correct:
            verdict = "[b green]CORRECT[/]"
        else:
            verdict = (f"[b red]INCORRECT[/] {first.property}: "
                       f"{escape(DESCRIPTION.get(first.property, ''))} - Ctrl+G shows the "
                       f"counterexample")
        if not agree:
            verdict += "  [b red]the verifiers disagree[/]"
        self.query_one("#acc-status", Static).update(
            f"{verdict}\n{describe(self.last_params)}, machine {self.last_machine.hash()}")

    @on(DataTable.RowSelected, "#acc-checks")
    def _check_selected(self, event: DataTable.RowSelected) -> None:
        if self.result_is_current() and event.cursor_row < len(self.results):
            self._open_verdict(self.results[event.cursor_row])

    def action_show_verdict(self) -> None:
        if not self.results:
            self.notify("Verify the machine first (Ctrl+R).", severity="warning")
            return
        if not self.result_is_current():
            self._show_result()
            self.notify("The table changed since: verify it first (Ctrl+R).", severity="warning")
            return
        failed = next((r for r in self.results if not r.correct), None)
        if failed is None:
            self.notify("The machine is correct: there is no counterexample.", severity="warning")
            return
        self._open_verdict(failed)

    def _open_verdict(self, r) -> None:
        from .ac_run import ACVerdictScreen
        self.app.push_screen(ACVerdictScreen(verdict_of(self.last_machine, self.last_params, r)))

    def palette_commands(self):
        yield ("Atomic commit Composer: verify the machine", self.action_verify,
               "The built-in checker (and Z3 if chosen), Ctrl+R")
        yield ("Atomic commit Composer: load a machine file", self.action_load, "JSON (Ctrl+O)")
        yield ("Atomic commit Composer: save the machine as JSON", self.action_save, "Ctrl+S")
        for name in protocols.RULES:
            yield (f"Atomic commit Composer: open example {name}",
                   lambda n=name: self.open_example(n),
                   (protocols.RULES[name].__doc__ or "").split(".")[0].strip())


def model_of(params: dict) -> Model:
    return Model(params["n"], params["rounds"], f=params["f"], properties=params["properties"])
