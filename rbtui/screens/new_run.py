"""The form that starts a learning run: Reliable Broadcast (the default) or
atomic commit, each problem with its own fields."""

from __future__ import annotations

from dataclasses import replace

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from rbengine.atomic_commit.properties import PROPERTY_SETS
from rbengine.atomic_commit.run import ACRunConfig
from rbengine.config import HeuristicsConfig, RunConfig
from rbengine.errors import RbError
from rbengine.scenario import ATTACKERS, MODES
from rbengine.vocabulary import PRESETS

from .base import RbDialog

PROBLEMS = (("Reliable Broadcast", "reliable-broadcast"), ("atomic commit", "atomic-commit"))


def number(text: str, what: str) -> int | None:
    """A whole number typed in a field, None when blank (raises RbError)."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise RbError(f"{what} must be a whole number, got {text!r}") from None


def ac_config_from_form(n: str, rounds: str, k: str, learner: str, properties: str,
                        episodes: str, seed: str) -> ACRunConfig:
    """A validated ACRunConfig from the atomic commit fields (raises RbError),
    as `rbtui run --problem atomic-commit` builds it; blank fields take its defaults."""
    default = ACRunConfig()
    values = {"n": number(n, "N"), "rounds": number(rounds, "rounds"),
              "k": number(k, "unnamed states K"), "episodes": number(episodes, "episodes")}
    kw = {name: v for name, v in values.items() if v is not None}
    if not 0 <= kw.get("k", default.k) <= 8:
        raise RbError(f"unnamed states K must be 0..8, got {kw['k']}")
    return ACRunConfig(learner=learner, properties=properties, seed=number(seed, "seed"),
                       **kw).validate()


def config_from_form(target: str, n: str, attacker: str, vocabulary: str, episodes: str,
                     seed: str, heuristics: bool, backend: str,
                     descend: bool = False) -> RunConfig:
    """A validated RunConfig from the form's text fields (raises RbError).

    `n`: one N, or sizes such as ``4,7:2`` (a candidate must be correct at each).
    `descend`: walks from the candidates the run finds (docs/learner.md)."""
    eps = number(episodes, "episodes")
    text = n.strip()
    sizes = None
    if text and not text.isdigit():  # "4,7:2": several sizes (rbengine.size)
        sizes, text = text, ""
    cfg = RunConfig(target=target, n=number(text, "N"), sizes=sizes, attacker=attacker,
                    vocabulary=vocabulary,
                    backend=backend, episodes=12000 if eps is None else eps,
                    seed=number(seed, "seed"), descend=descend)
    if not heuristics:
        cfg = replace(cfg, heuristics=HeuristicsConfig(on=frozenset()))
    return cfg.validate()


class NewRunScreen(RbDialog["RunConfig | ACRunConfig | None"]):
    """Dismissed with the run's validated configuration (or None): a RunConfig,
    or an ACRunConfig when the problem is atomic commit."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="new-run-cancel")]

    def __init__(self, problem: str = "reliable-broadcast") -> None:
        super().__init__()
        self.initial_problem = problem

    def compose(self) -> ComposeResult:
        from rbengine.oracle.backend import available as available_backends
        from rbengine.oracle.backend import interactive as preferred_backend
        ac = ACRunConfig()
        with Vertical(classes="dialog", id="new-run-dialog"):
            yield Label("Start a learning run", classes="section")
            with Grid(classes="new-run-grid"):
                yield Label("problem")
                yield Select(PROBLEMS, value=self.initial_problem, allow_blank=False,
                             compact=True, id="run-problem")
            with Grid(id="new-run-grid", classes="new-run-grid"):
                yield Label("target")
                yield Select([(m, m) for m in MODES], value="crash", allow_blank=False,
                             compact=True, id="run-target")
                yield Label("N or sizes (4,7:2)")
                yield Input(placeholder="paper's: 3 or 4", id="run-n", compact=True)
                yield Label("attacker")
                yield Select([(a, a) for a in ATTACKERS], value="full", allow_blank=False,
                             compact=True, id="run-attacker")
                yield Label("vocabulary")
                yield Select([(v, v) for v in PRESETS], value="paper", allow_blank=False,
                             compact=True, id="run-vocabulary")
                yield Label("episodes")
                yield Input(value="12000", id="run-episodes", type="integer", compact=True)
                yield Label("seed (blank: random)")
                yield Input(placeholder="random", id="run-seed", type="integer", compact=True)
                yield Label("heuristics GH1-GH10")
                yield Select([("on (the paper's)", True), ("off", False)], value=True, allow_blank=False,
                             compact=True, id="run-heuristics")
                yield Label("backend")
                yield Select([(b, b) for b in available_backends()], value=preferred_backend(),
                             allow_blank=False, compact=True, id="run-backend")
                yield Label("descent and repair")
                yield Select([("off (the paper's learner)", False), ("on", True)], value=False,
                             allow_blank=False, compact=True, id="run-descend")
            with Grid(id="ac-run-grid", classes="new-run-grid"):
                yield Label("N processes")
                yield Input(value=str(ac.n), id="ac-run-n", type="integer", compact=True)
                yield Label("rounds R")
                yield Input(value=str(ac.rounds), id="ac-run-rounds", type="integer",
                            compact=True)
                yield Label("unnamed states K")
                yield Input(value=str(ac.k), id="ac-run-k", type="integer", compact=True)
                yield Label("learner")
                yield Select([("dqn (the paper's network)", "dqn"), ("tabular (UCB)", "tabular")],
                             value=ac.learner, allow_blank=False, compact=True,
                             id="ac-run-learner")
                yield Label("properties")
                yield Select([(p, p) for p in PROPERTY_SETS], value=ac.properties,
                             allow_blank=False, compact=True, id="ac-run-properties")
                yield Label("episodes")
                yield Input(value=str(ac.episodes), id="ac-run-episodes", type="integer",
                            compact=True)
                yield Label("seed (blank: random)")
                yield Input(placeholder="random", id="ac-run-seed", type="integer",
                            compact=True)
            yield Static("", id="new-run-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start", variant="success", id="run-start")
                yield Button("Cancel", id="run-cancel")

    def on_mount(self) -> None:
        self._show_problem()
        # the problem's first field (the problem choice is one Shift+Tab above it)
        first = "#ac-run-n" if self.problem == "atomic-commit" else "#run-target"
        self.query_one(first).focus()

    @property
    def problem(self) -> str:
        return self.query_one("#run-problem", Select).value

    @on(Select.Changed, "#run-problem")
    def _show_problem(self) -> None:
        ac = self.problem == "atomic-commit"
        self.query_one("#new-run-grid").display = not ac
        self.query_one("#ac-run-grid").display = ac
        self.query_one("#new-run-error", Static).update("")

    def form_config(self) -> RunConfig | ACRunConfig:
        q = self.query_one
        if self.problem == "atomic-commit":
            return ac_config_from_form(q("#ac-run-n", Input).value, q("#ac-run-rounds", Input).value,
                                       q("#ac-run-k", Input).value,
                                       q("#ac-run-learner", Select).value,
                                       q("#ac-run-properties", Select).value,
                                       q("#ac-run-episodes", Input).value,
                                       q("#ac-run-seed", Input).value)
        return config_from_form(q("#run-target", Select).value, q("#run-n", Input).value,
                                q("#run-attacker", Select).value, q("#run-vocabulary", Select).value,
                                q("#run-episodes", Input).value, q("#run-seed", Input).value,
                                q("#run-heuristics", Select).value, q("#run-backend", Select).value,
                                q("#run-descend", Select).value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run-start":
            self.action_start()
        else:
            self.dismiss(None)

    def on_input_submitted(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        try:
            cfg = self.form_config()
        except RbError as exc:
            self.query_one("#new-run-error", Static).update(f"[red]{escape(str(exc))}[/]")
            return
        if isinstance(cfg, ACRunConfig):
            self.dismiss(cfg)
            return
        from rbengine import oracle
        for note in oracle.notes(cfg.target, None, cfg.n, cfg.f, cfg.sizes) if cfg.sizes \
                else oracle.notes(cfg.target, None, cfg.n_value, cfg.f):
            self.app.notify(note.text(), title="warning", severity="warning", timeout=8)
        self.dismiss(cfg)

    def action_cancel(self) -> None:
        self.dismiss(None)
