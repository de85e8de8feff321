"""A message sequence chart of a counterexample, drawn with box characters.

One row per step: processes are columns with a lifeline each, a receipt is an
arrow from the sender's column to the receiver's, a crash ends a lifeline, and
Byzantine sends are drawn dashed in red. The highlighted row follows the step
selected in the step table (and the other way round).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rbengine.counterexample import VALUES, Counterexample

GUTTER = 5
COL = 16  # columns per process; down to MIN_COL when the terminal is narrow
MIN_COL = 10
HEADER_ROWS = 2
FRAME = 3  # a border and the vertical scrollbar

RED = "bold red"
GREEN = "bold green"
YELLOW = "yellow"
ARROW = "cyan"


def short_msg(t: int, v: int) -> str:
    return f"<type{t},{VALUES[v]}>"


@dataclass
class Chart:
    header: list[Text]
    rows: list[Text]  # rows[i] is step i; one extra row at the end: the final state
    width: int
    grid_width: int = 0  # the process columns alone, without the notes


def center(p: int, col: int = COL) -> int:
    return GUTTER + p * col + col // 2


def columns_for(width: int, n: int) -> int:
    """Columns per process so that `n` lifelines fit in `width` (COL at most, MIN_COL at least)."""
    return max(MIN_COL, min(COL, (width - GUTTER) // max(1, n)))


def build_chart(cx: Counterexample, col: int = COL) -> Chart:
    n = cx.n
    grid_w = GUTTER + n * col
    byz = set(cx.faulty) if cx.mode == "byzantine" else set()
    crashy = set(cx.faulty) if cx.mode == "crash" else set()

    def blank_row(crashed: set[int]) -> tuple[list[str], list[str | None]]:
        chars = [" "] * grid_w
        styles: list[str | None] = [None] * grid_w
        for p in range(n):
            if p in crashed:
                continue
            chars[center(p, col)] = "┊" if p in byz else "│"
            styles[center(p, col)] = "red" if p in byz else "dim"
        return chars, styles

    def to_text(chars, styles, note: str = "", note_style: str | None = None) -> Text:
        text = Text()
        for ch, st in zip(chars, styles):
            text.append(ch, st)
        if note:
            text.append("  ")
            text.append(note, note_style)
        return text

    header1, header2 = Text(" " * GUTTER), Text(" " * GUTTER)
    for p in range(n):
        name = "p0 (bcast)" if p == 0 else f"p{p}"
        role = "Byzantine" if p in byz else "crash-prone" if p in crashy else "correct"
        style = "bold red" if p in byz else "bold yellow" if p in crashy else "bold"
        header1.append(name.center(col), style)
        header2.append(role[:col - 1].center(col), "dim")

    rows: list[Text] = []
    crashed: set[int] = set()
    for i, st in enumerate(cx.steps):
        chars, styles = blank_row(crashed)
        label = f"{i + 1:>4} "
        for k, ch in enumerate(label):
            chars[k] = ch
            styles[k] = "dim"
        note, note_style = "", None
        c = center(st.process, col)
        if st.kind == "broadcast":
            chars[c], styles[c] = "■", "bold"
            note = "RB-Broadcast(m)"
        elif st.kind == "receive":
            s, r = st.sender, st.process
            t, v = st.msg
            label_txt = short_msg(t, v)
            from_byz = s in byz
            line_style = RED if from_byz else ARROW
            if s == r:
                chars[c], styles[c] = "↺", line_style
                for k, ch in enumerate(f"<t{t},{VALUES[v]}>"[:col // 2 - 1]):
                    chars[c + 1 + k], styles[c + 1 + k] = ch, line_style
            else:
                cs, cr = center(s, col), center(r, col)
                lo, hi = min(cs, cr), max(cs, cr)
                for x in range(lo + 1, hi):
                    chars[x], styles[x] = ("╌" if from_byz else "─"), line_style
                chars[cs], styles[cs] = ("✱" if from_byz else "●"), line_style
                chars[cr], styles[cr] = ("▶" if cr > cs else "◀"), line_style
                span = hi - lo - 1
                if len(label_txt) <= span - 2:
                    start = lo + 1 + (span - len(label_txt)) // 2
                    for k, ch in enumerate(label_txt):
                        chars[start + k], styles[start + k] = ch, line_style
            if st.delivered is not None:
                chars[c], styles[c] = "◆", GREEN
            if st.delivered is not None:
                note, note_style = f"p{r} DELIVERS {VALUES[st.delivered]}", GREEN
        elif st.kind == "emit":
            d, t, v = st.sends[0]
            chars[c], styles[c] = "↗", YELLOW
            note, note_style = f"p{st.process}: {short_msg(t, v)} to p{d}", YELLOW
        elif st.kind == "crash":
            chars[c], styles[c] = "✖", RED
            note, note_style = f"p{st.process} CRASHES", RED
            crashed.add(st.process)
        elif st.kind == "byzantine":
            d, t, v = st.sends[0]
            chars[c], styles[c] = "✱", RED
            note, note_style = f"p{st.process} forges {short_msg(t, v)} to p{d}", RED
        if st.kind == "broadcast" and st.delivered is not None:
            chars[c], styles[c] = "◆", GREEN
            note += f", DELIVERS {VALUES[st.delivered]}"
        rows.append(to_text(chars, styles, note, note_style))

    # The final (quiescent) state: what each correct process delivered.
    chars, styles = blank_row(crashed)
    for p in range(n):
        if p in cx.delivered:
            v = cx.delivered[p]
            mark = VALUES[v] if v is not None else "-"
            x = center(p, col)
            chars[x], styles[x] = mark[0], GREEN if v is not None else RED
            if len(mark) > 1:
                chars[x + 1], styles[x + 1] = mark[1], styles[x]
    rows.append(to_text(chars, styles, f"RB-{cx.property} violated", RED))
    width = max([grid_w] + [r.cell_len for r in rows])
    return Chart([header1, header2], rows, width, grid_w)


class SequenceChart(ScrollView, can_focus=True):
    """The counterexample as a message sequence chart; `step` is the highlighted step."""

    DEFAULT_CSS = """
    SequenceChart { height: 1fr; }
    SequenceChart > .sequence-chart--cursor { background: $accent 40%; }
    SequenceChart > .sequence-chart--header { background: $panel; }
    """
    COMPONENT_CLASSES = {"sequence-chart--cursor", "sequence-chart--header"}
    BINDINGS = [
        Binding("down,j", "move(1)", "Next step", show=False),
        Binding("up,k", "move(-1)", "Previous step", show=False),
    ]

    step: reactive[int] = reactive(0)

    class StepSelected(Message):
        def __init__(self, chart: "SequenceChart", step: int) -> None:
            super().__init__()
            self.chart = chart
            self.step = step

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._chart: Chart | None = None
        self._cx: Counterexample | None = None
        self.columns = COL  # per process

    @property
    def steps(self) -> int:
        return len(self._chart.rows) - 1 if self._chart else 0

    @property
    def natural_width(self) -> int:
        """Columns the whole chart needs, notes included (0: nothing to draw)."""
        return self._chart.width if self._chart else 0

    @property
    def grid_width(self) -> int:
        """Columns the processes' lifelines need."""
        return self._chart.grid_width if self._chart else 0

    def set_counterexample(self, cx: Counterexample | None) -> None:
        """Draw `cx`; the width is the container's to choose (see VerdictScreen)."""
        self._cx = cx
        self._build()
        self.set_reactive(SequenceChart.step, 0)
        self.scroll_to(0, 0, animate=False)

    def _build(self) -> None:
        cx = self._cx
        self._chart = build_chart(cx, self.columns) if cx is not None else None
        rows = len(self._chart.rows) if self._chart else 0
        width = self._chart.width if self._chart else 0
        self.virtual_size = Size(width, rows + HEADER_ROWS)
        self.refresh()

    def fit(self, width: int) -> None:
        """Narrow the process columns (down to MIN_COL) so that every
        lifeline fits in `width` columns, the frame included."""
        if self._cx is None:
            return
        col = columns_for(width - FRAME, self._cx.n)
        if col != self.columns:
            self.columns = col
            self._build()
            self.call_after_refresh(self.scroll_to_step)

    def plain_lines(self) -> list[str]:
        """The chart as plain text (headers, then one line per step, then the final state)."""
        if not self._chart:
            return []
        return [t.plain.rstrip() for t in self._chart.header + self._chart.rows]

    @property
    def visible_rows(self) -> int:
        """Step rows on screen below the fixed header (a horizontal scrollbar takes one)."""
        return max(1, self.scrollable_content_region.height - HEADER_ROWS)

    def step_visible(self) -> bool:
        top = self.scroll_offset.y
        return top <= self.step < top + self.visible_rows

    def scroll_to_step(self) -> None:
        """Scroll so that the highlighted row is on screen."""
        if not self._chart or self.step_visible():
            return
        top = self.step if self.step < self.scroll_offset.y else self.step - self.visible_rows + 1
        self.scroll_to(y=max(0, top), animate=False, immediate=True)

    def watch_step(self, step: int) -> None:
        # now, and again once a pending layout has given the chart its size
        self.scroll_to_step()
        self.call_after_refresh(self.scroll_to_step)
        self.refresh()

    def on_resize(self) -> None:
        self.call_after_refresh(self.scroll_to_step)

    def action_move(self, delta: int) -> None:
        if not self._chart:
            return
        new = max(0, min(self.steps - 1, self.step + delta))
        if new != self.step:
            self.step = new
            self.post_message(self.StepSelected(self, new))

    def on_click(self, event) -> None:
        if not self._chart or event.y < HEADER_ROWS:
            return
        row = event.y - HEADER_ROWS + self.scroll_offset.y
        if 0 <= row < self.steps:
            self.step = row
            self.post_message(self.StepSelected(self, row))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if not self._chart:
            return Strip.blank(width)
        scroll_x, scroll_y = self.scroll_offset
        if y < HEADER_ROWS:
            text = self._chart.header[y]
            base = self.get_component_rich_style("sequence-chart--header")
        else:
            row = y - HEADER_ROWS + scroll_y
            if row >= len(self._chart.rows):
                return Strip.blank(width)
            text = self._chart.rows[row]
            base = self.get_component_rich_style("sequence-chart--cursor") if row == self.step else None
        segments = list(text.render(self.app.console, end=""))
        strip = Strip(segments, text.cell_len).crop_extend(scroll_x, scroll_x + width, None)
        if base is not None:
            strip = strip.apply_style(base)
        return strip.apply_style(self.rich_style)
