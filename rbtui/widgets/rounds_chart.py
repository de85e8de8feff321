"""An atomic commit counterexample as a rounds-by-processes chart: one row per
round (0 is the vote), one column per process, each cell the process's state
after the round; a crash is marked where it happens (x) and after (-), and a
lost message is marked in its receiver's cell as "lost pJ" in the round it was
lost (docs/semantics-atomic-commit.md §8)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

STYLE = {"COMMIT": "bold green", "ABORT": "bold red"}
LOST = "bold yellow"


def grid(cx: dict) -> list[list[str]]:
    """The cells as plain text: grid[r][i] for round r and process i."""
    n = len(cx["votes"])
    crash = {int(p[1:]): c["round"] for p, c in cx.get("crashes", {}).items()}
    out = []
    for r, row in enumerate(cx["states"]):
        lost_to = {i: [] for i in range(n)}
        if r > 0:
            for a, b in cx["lost"][r - 1]:
                lost_to[int(b[1:])].append(a)
        cells = []
        for i, state in enumerate(row):
            text = state
            if i in crash and crash[i] <= r:
                text += " x" if crash[i] == r else " -"
            if lost_to[i]:
                text += " lost " + ",".join(lost_to[i])
            cells.append(text)
        out.append(cells)
    return out


def chart(cx: dict) -> Text:
    n = len(cx["votes"])
    cells = grid(cx)
    width = max(12, *(len(c) for row in cells for c in row)) + 2
    t = Text()
    t.append("round  " + "".join(f"{'p' + str(i):<{width}}" for i in range(n)) + "\n", "bold")
    for r, row in enumerate(cells):
        t.append(f"{r:<7}")
        for cell in row:
            state, _, rest = cell.partition(" ")
            t.append(state, STYLE.get(state, ""))
            if rest:
                mark, _, lost = (" " + rest).partition(" lost ")
                if mark.strip():
                    t.append(mark, "dim")
                if lost:
                    t.append(" lost " + lost, LOST)
            t.append(" " * (width - len(cell)))
        t.append("\n")
    for p, c in sorted(cx.get("crashes", {}).items()):
        reach = ", ".join(c["reaches"]) or "nobody"
        t.append(f"{p} crashes in round {c['round']}; its last message reaches {reach}\n", "dim")
    t.append("decisions: " + ", ".join(f"p{i} {d}" for i, d in enumerate(cx["decisions"])) + "\n")
    if cx.get("property"):
        t.append(f"violates {cx['property']}", "bold red")
    return t


class RoundsChart(Static):
    """The chart of one counterexample (or a note when there is none)."""

    def show(self, cx: dict | None) -> None:
        self.cx = cx
        self.update(chart(cx) if cx else Text("no counterexample: the machine is correct"))
