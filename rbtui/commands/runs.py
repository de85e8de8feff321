"""``rbtui runs``: the runs recorded in the store, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rbengine.problem import run_report
from rbengine.search import report as search_report
from rbengine.store import Store, default_path


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "runs", help="list the learning runs and searches in the store",
        description="List the learning runs and the searches (rbtui search) recorded in the "
                    "store.")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of runs (id, status, episodes, counts, candidates), "
                        "then of searches (kind \"search\", id sK)")
    p.set_defaults(handler=run)
    return p


def _cost(entry: dict | None) -> str:
    if entry is None:
        return "-"
    m = entry["metrics"]
    return f"{m['messages_n']}/{m['steps']}/{m['to_deliver_n']}"


def table(reports: list[dict]) -> str:
    head = ("ID", "NAME", "STATUS", "TARGET", "N", "EPISODES", "CORRECT/INCORRECT EPISODES",
            "CORRECT/INCORRECT CANDIDATES", "CACHE", "RESULT m/s/d", "TIME")
    rows = [head]
    for r in reports:
        if r.get("problem", "reliable-broadcast") != "reliable-broadcast":
            continue
        rows.append((str(r["id"]), r["name"] or "-", r["status"], r["target"], str(r["n"]),
                     f"{r['episodes']['done']}/{r['episodes']['planned']}",
                     f"{r['episodes']['correct']}/{r['episodes']['incorrect']}",
                     f"{r['candidates']['correct']}/{r['candidates']['incorrect']}",
                     f"{100 * r['cache']['hit_rate']:.0f}%", _cost(r["result"]),
                     f"{r['seconds']:.0f}s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def ac_table(reports: list[dict]) -> str:
    """Atomic commit runs: sizes, learner, machines verified, first correct."""
    head = ("ID", "NAME", "STATUS", "PROBLEM", "N", "R", "K", "PROPERTIES", "LEARNER",
            "EPISODES", "VERIFIED", "FIRST CORRECT", "RESULT", "TIME")
    rows = [head]
    for r in reports:
        fc = r["first_correct"]
        rows.append((str(r["id"]), r["name"] or "-", r["status"], r["problem"], str(r["n"]),
                     str(r["rounds"]), str(r["states"]), r["properties"], r["learner"],
                     f"{r['episodes']['done']}/{r['episodes']['planned']}", str(r["verified"]),
                     "-" if fc is None else f"episode {fc['episode']}",
                     "-" if r["result"] is None else r["result"]["hash"],
                     f"{r['seconds']:.0f}s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def search_table(reports: list[dict]) -> str:
    head = ("ID", "NAME", "STATUS", "TARGET", "N", "VERIFIED", "CORRECT CANDIDATES", "LEVEL",
            "OPTIMUM", "TIME")
    rows = [head]
    for r in reports:
        rows.append((r["id"], r["name"] or "-", r["status"], r["target"], str(r["n"]),
                     f"{r['verified']}/{r['total']}", str(r["correct"]),
                     "-" if r["level"] is None or r["status"] == "finished" else f"{r['level']:g}",
                     "-" if r["optimum"] is None else f"{r['optimum']:g}",
                     f"{r['seconds']:.0f}s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def run(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    path = Path(db) if db else default_path()
    if not path.exists() and not db:  # nothing recorded yet: not an error
        reports, searches = [], []
    else:
        with Store(path, readonly=True) as store:
            reports = [run_report(store, r["id"]) for r in store.runs()]
            searches = [search_report(store, r["id"]) for r in store.searches()]
    if args.json:
        print(json.dumps(reports + searches, indent=2))
        return 0
    if not reports and not searches:
        print("no runs yet (start one with: rbtui run --target crash)")
        return 0
    rb = [r for r in reports if r.get("problem", "reliable-broadcast") == "reliable-broadcast"]
    ac = [r for r in reports if r.get("problem") == "atomic-commit"]
    if rb:
        print(table(rb))
        print("RESULT m/s/d: messages sent / communication steps / messages to deliver, at the run's N")
    if ac:
        if rb:
            print()
        print("atomic commit runs (rbtui run --problem atomic-commit):")
        print(ac_table(ac))
        print("R rounds, K unnamed states; RESULT: the hash of the first correct machine")
    if searches:
        if reports:
            print()
        print("searches (rbtui search):")
        print(search_table(searches))
        print("OPTIMUM: total reward of the certified cheapest correct candidates")
    return 0
