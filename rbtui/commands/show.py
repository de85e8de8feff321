"""``rbtui show RUN``: a run's configuration, counts and candidates, and the
report checks of a finished run (recorded at its end, else computed now).

Exit status 0, 2 on an error or when two backends disagree."""

from __future__ import annotations

import argparse
import json

from rbengine import metrics, run_checks
from rbengine.candidate import Candidate
from rbengine.errors import StoreError
from rbengine.learner import FOUND_BY
from rbengine.notation import pseudo
from rbengine.problem import run_report
from rbengine.report import optimum_text
from rbengine.search import report as search_report
from rbengine.store import Store

from ._checks import add_checks_argument, report_disagreements


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "show", help="show a learning run or a search: configuration, metrics, candidates",
        description="Show a run recorded in the store: its configuration, progress, and its "
                    "result and most efficient correct candidate in the paper's notation; "
                    "or a search (sK): its histogram and certified cheapest candidates.")
    p.add_argument("run", metavar="RUN", help="run id or name, or search id (s1) or name")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_checks_argument(p)
    p.set_defaults(handler=run)
    return p


def _section(title: str, entry: dict | None, n: int, f: int) -> list[str]:
    if entry is None:
        return [f"{title}: none"]
    c = Candidate.from_json(entry["candidate"])
    verdict = entry["verdict"]["summary"] if entry["verdict"] else "not verified"
    return [f"{title} ({verdict}):", pseudo(c), metrics.text(c, n, f)]


def run(args: argparse.Namespace) -> int:
    with Store(getattr(args, "db", None), readonly=True) as store:
        search = _search(store, args.run)
        if search is not None:
            from .search import summary
            print(json.dumps(search, indent=2) if args.json else summary(search))
            return 0
        r = run_report(store, args.run, full=True)
        if (r.get("checks") is None and r["status"] == "finished"
                and r.get("problem") != "atomic-commit" and not args.no_report_checks):
            # not recorded (skipped at the run's end, or an older store): computed
            # now, not written (showing leaves the store untouched)
            r["checks"] = run_checks.compute(store, r["id"])
    bad = report_disagreements(r.get("checks"))
    if args.json:
        print(json.dumps(r, indent=2))
        return 2 if bad else 0
    if r["problem"] == "atomic-commit":
        from ._atomic_commit_run import summary
        print(summary(r))
        return 0
    cfg = r["config"]
    h = cfg["heuristics"]
    off = [k for k, v in h.items() if not v["on"]]
    lines = [
        f"run {r['id']}" + (f" ({r['name']})" if r["name"] else "") + f": {r['status']}"
        + (f" - {r['message']}" if r["message"] else ""),
        f"target {r['target']}, "
        + (f"N={r['n']}, F={r['f']}" if len(r.get("sizes", ())) <= 1
           else f"sizes {', '.join(r['sizes'])} (metrics at N={r['n']}, F={r['f']})")
        + (f", attacker {r['attacker']}" if r["target"] == "byzantine" else "")
        + f", vocabulary {cfg['vocabulary'] if isinstance(cfg['vocabulary'], str) else 'custom'}"
        + f", backend {r['backend']}",
        f"seed {r['seed']}, alpha {cfg['alpha']}, gamma {cfg['gamma']}, UCB c {cfg['ucb_c']}, "
        f"heuristics: " + ("all on" if not off else "off: " + ", ".join(off))
        + f" (GH6 {h['GH6']['min']}..{h['GH6']['max']}, GH10 {h['GH10']['max_types']} types)",
        f"episodes {r['episodes']['done']}/{r['episodes']['planned']} in {r['seconds']:.1f} s; "
        f"correct {r['episodes']['correct']}, incorrect {r['episodes']['incorrect']} "
        f"({r['candidates']['correct']}/{r['candidates']['incorrect']} distinct candidates); "
        f"{r['states']} states; cache hit rate {100 * r['cache']['hit_rate']:.0f}%",
    ]
    opt = optimum_text(r.get("optimum"))
    if opt:
        lines.append(opt)
    fc = r.get("first_correct")
    if fc:
        lines.append(f"first correct candidate: episode {fc['episode']}, after {fc['states']} "
                     f"states and {fc['candidates']} candidates")
    found = r.get("best_found")
    if found:
        how = FOUND_BY.get(found["by"], found["by"])
        lines.append(f"most efficient correct candidate: found in episode {found['episode']}, "
                     f"by {how}")
    lines.append("")
    lines += _section("result", r["result"], r["n"], r["f"])
    if r["final"] and (r["result"] is None or r["final"]["hash"] != r["result"]["hash"]):
        lines.append("")
        lines += _section("optimisation episode", r["final"], r["n"], r["f"])
    if r["best"] and (r["result"] is None or r["best"]["hash"] != r["result"]["hash"]):
        lines.append("")
        lines += _section("most efficient correct candidate seen", r["best"], r["n"], r["f"])
    if r["checks"]:
        lines += ["", run_checks.text(r["checks"])]
    print("\n".join(lines))
    return 2 if bad else 0


def _search(store: Store, ident: str) -> dict | None:
    """The search `ident` names (``s3``, or a name no run has), else None."""
    text = str(ident)
    is_search_id = text[:1] in ("s", "S") and text[1:].isdigit()
    if not is_search_id:
        try:
            store.run(text)
            return None
        except StoreError:
            pass
    try:
        return search_report(store, text)
    except StoreError:
        if is_search_id:
            raise
        return None
