"""A machine as a table a person reads: per own state, the next state most
inputs lead to ("otherwise", as in machine files) and the inputs that differ.
Shared by the command line and the workbench."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .machine import Machine, state_names, symbol_names


def received_text(k: int, counts: Sequence[int]) -> str:
    syms = symbol_names(k)
    return " ".join(f"{syms[i]}x{x}" if x > 1 else syms[i] for i, x in enumerate(counts) if x)


def rows(machine: Machine) -> list[tuple[str, str, str]]:
    """(from, received, to) rows: first each state's "otherwise", then its exceptions."""
    names = state_names(machine.k)
    out: list[tuple[str, str, str]] = []
    for s in range(machine.states):
        entries = sorted(((c, t) for (s2, c), t in machine.table.items() if s2 == s),
                         key=lambda e: [-x for x in e[0]])
        if not entries:
            continue
        common, _ = Counter(t for _, t in entries).most_common(1)[0]
        out.append((names[s], "otherwise", names[common]))
        out += [(names[s], received_text(machine.k, c), names[t]) for c, t in entries
                if t != common]
    return out


def table_text(machine: Machine) -> str:
    body = rows(machine)
    w0 = max(len("from"), *(len(r[0]) for r in body))
    w1 = max(len("received from the others"), *(len(r[1]) for r in body))
    lines = [f"{'from':<{w0}}  {'received from the others':<{w1}}  to"]
    lines += [f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in body]
    return "\n".join(lines)
