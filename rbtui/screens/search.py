"""Searches: the certified cheapest correct candidates of a space (rbengine.search).

Lists the searches of the store, starts one (in a worker thread, on a local
Dask cluster or in this process) and shows the selected one live: the
histogram of correct and incorrect candidates per total reward as it fills,
and the cheapest correct candidates found so far (certified once the search
has finished). The view reads the store, so a search started with
``rbtui search`` in another process is followed the same way.
"""

from __future__ import annotations

import json

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, Select, Static

from rbengine.config import RunConfig
from rbengine.errors import RbError
from rbengine.scenario import MODES
from rbengine.vocabulary import PRESETS

from .base import RbScreen

COLUMNS = ("id", "target", "verified", "status", "level", "optimum", "last activity")
BAR = 30


def search_config(target: str, vocabulary: str, max_actions: str, sizes: str) -> RunConfig:
    """A validated configuration from the form's fields (raises RbError)."""
    d: dict = {"target": target, "vocabulary": vocabulary}
    text = max_actions.strip()
    if text:
        if not text.isdigit():
            raise RbError(f"GH6 maximum must be a whole number, got {text!r}")
        d["heuristics"] = {"GH6": {"max": int(text)}}
    if sizes.strip():
        d["sizes"] = sizes.strip()
    return RunConfig.from_dict(d)


def histogram_lines(levels: dict[float, int], hist: dict[float, tuple[int, int]],
                    all_levels: bool = False) -> list[str]:
    """One bar per total reward: correct (green) and incorrect (red) among the
    level's candidates; levels not reached are left out unless `all_levels`."""
    widest = max(levels.values(), default=1)
    out = []
    for r in sorted(levels, reverse=True):
        ok, bad = hist.get(r, (0, 0))
        if not all_levels and not ok + bad:
            continue
        total = levels[r]
        g = round(BAR * ok / widest)
        b = round(BAR * bad / widest)
        rest = max(0, round(BAR * total / widest) - g - b)
        out.append(f"{r:6g} [green]{'█' * g}[/][red]{'█' * b}[/][dim]{'░' * rest}[/]"
                   f" {ok} correct / {bad} incorrect of {total}")
    return out


class SearchScreen(RbScreen):
    HELP_TOPIC = "runs"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="search-back"),
        Binding("g", "start", "Start", id="search-start"),
        Binding("x", "stop", "Stop", id="search-stop"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, dict] = {}
        self.active = None  # the Search this screen runs, if any

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-form"):
            yield Select([(m, m) for m in MODES], value="crash", allow_blank=False,
                         compact=True, id="search-target")
            yield Select([(v, v) for v in PRESETS], value="paper", allow_blank=False,
                         compact=True, id="search-vocabulary")
            yield Input(placeholder="GH6 max", id="search-max", compact=True)
            yield Input(placeholder="sizes 4,7:2", id="search-sizes", compact=True)
            yield Input(placeholder="workers", id="search-workers", compact=True)
            yield Checkbox("all", id="search-all", compact=True)
            yield Button("Start", id="search-go", variant="success", compact=True)
            yield Button("Stop", id="search-halt", compact=True)
        yield DataTable(id="search-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="search-histogram")
        yield Static("", id="search-best")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#search-table", DataTable)
        for c in COLUMNS:
            table.add_column(c, key=c)
        self.reload()
        self.set_interval(0.5, self.reload)
        table.focus()

    def on_unmount(self) -> None:
        if self.active is not None:
            self.active.stop()

    # ---- data -----------------------------------------------------------------
    def reload(self) -> None:
        store = self.app.store
        try:
            rows = store.searches() if store else []
        except RbError as exc:
            self.app.report_error(exc, "Store")
            rows = []
        table = self.query_one("#search-table", DataTable)
        selected = self.selected_id()
        table.clear()
        self.rows = {}
        for row in reversed(rows):
            self.rows[row["id"]] = row
            table.add_row(*self._cells(row), key=str(row["id"]))
        if selected in self.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))
        self._show()

    def _cells(self, row: dict) -> list[str]:
        cfg = json.loads(row["config"])
        status = row["status"]
        if status == "running" and (self.active is None or self.active.id != row["id"]):
            status = "running elsewhere"
        level = "-" if row["level"] is None or status == "finished" else f"{row['level']:g}"
        opt = "-" if row["optimum"] is None else f"{row['optimum']:g}"
        try:
            sizes = cfg.get("sizes") or f"N={RunConfig.from_dict(cfg).n_value}"
        except RbError:
            sizes = "?"
        return [f"s{row['id']}", f"{row['target']} {cfg.get('vocabulary')} {sizes}",
                f"{row['verified']}/{row['total']}", status, level, opt,
                (row.get("updated") or "").replace("T", " ")]

    def selected_id(self) -> int | None:
        table = self.query_one("#search-table", DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return int(key.value) if key is not None and key.value is not None else None

    @on(DataTable.RowHighlighted, "#search-table")
    def _show(self) -> None:
        hist_w = self.query_one("#search-histogram", Static)
        best_w = self.query_one("#search-best", Static)
        sid = self.selected_id()
        row = self.rows.get(sid)
        store = self.app.store
        if row is None or store is None:
            hist_w.update("No searches yet: choose a space above and press g (Start search).")
            best_w.update("")
            return
        levels = {float(k): v for k, v in json.loads(row["levels"] or "{}").items()}
        hist = store.search_histogram(sid)
        lines = [f"search s{sid}: {row['verified']}/{row['total']} candidates verified, "
                 f"{row['seconds'] or 0:.0f} s" + (f" - {row['message']}" if row["message"] else ""),
                 "total reward: [green]correct[/] [red]incorrect[/] [dim]not verified[/]"]
        hist_w.update("\n".join(lines + histogram_lines(levels, hist, bool(row["all"]))))
        best_w.update(self._best_text(store, row))

    def _best_text(self, store, row: dict) -> str:
        if row["status"] == "finished":
            hashes = json.loads(row["result_hashes"] or "[]")
            if not hashes:
                return "No candidate of this space is correct."
            cands = [store.candidate(h) for h in hashes]
            return (f"Certified cheapest correct candidates (total reward {row['optimum']:g}, "
                    f"every cheaper candidate verified incorrect):\n"
                    + "\n".join("  " + escape(c.notation().replace("\n", "  |  "))
                                for c in cands if c is not None))
        if self.active is not None and self.active.id == row["id"]:
            best = self.active.best()
            if best is not None:
                c = store.candidate(best[0])
                if c is not None:
                    return (f"Cheapest correct found so far (total reward {-best[1][0]:g}, "
                            f"not yet certified):\n  " + escape(c.notation().replace("\n", "  |  ")))
        return "No correct candidate found yet." if row["correct_candidates"] == 0 else \
            f"{row['correct_candidates']} correct candidates found so far."

    # ---- actions ----------------------------------------------------------------
    @on(Button.Pressed, "#search-go")
    def action_start(self) -> None:
        if self.active is not None:
            self.notify("A search is running: stop it first.", severity="warning")
            return
        try:
            cfg = search_config(self.query_one("#search-target", Select).value,
                                self.query_one("#search-vocabulary", Select).value,
                                self.query_one("#search-max", Input).value,
                                self.query_one("#search-sizes", Input).value)
            text = self.query_one("#search-workers", Input).value.strip()
            if text and not text.isdigit():
                raise RbError(f"workers must be a whole number, got {text!r}")
            workers = int(text) if text else None
        except RbError as exc:
            self.app.report_error(exc, "Search")
            return
        self.notify("Counting the space and starting the search...", title="Search")
        self._run(cfg, workers, self.query_one("#search-all", Checkbox).value)

    @on(Button.Pressed, "#search-halt")
    def action_stop(self) -> None:
        if self.active is None:
            self.notify("No search of this screen is running.", severity="warning")
            return
        self.active.stop()
        self.notify("Stopping after the batches in flight.", title="Search")

    @work(thread=True, exclusive=True, group="search")
    def _run(self, cfg: RunConfig, workers: int | None, all_: bool) -> None:
        from rbengine.fanout import Fanout, Serial
        from rbengine.search import Search
        from rbengine.store import Store
        try:
            with Store(self.app.db_path) as store:
                search = Search.start(store, cfg, all_=all_)
                self.active = search
                with (Serial() if workers == 0 else Fanout(workers=workers)) as fan:
                    status = search.execute(fan)
            self.app.call_from_thread(self.notify, f"Search s{search.id} {status}.",
                                      title="Search")
        except RbError as exc:
            self.app.call_from_thread(self.app.report_error, exc, "Search")
        finally:
            self.active = None
