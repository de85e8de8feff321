"""The paper's experiments (§7): S simulations of E episodes for one target.

Prints the analogues of Table 7 (states explored until the first correct
candidate), Table 8 (correct / incorrect candidates, candidates generated until
the first correct one), the final candidate of every simulation, and wall time.
With matplotlib installed, also draws Figures 2 and 3 (states explored and
candidates generated per episode) as PNG files.

    python bench/experiments.py --target crash              # 5 x 12000, as the paper
    python bench/experiments.py --target none --seeds 3 --episodes 2000 --workers 2
    python bench/experiments.py --target crash --scheduler tcp://HOST:8786

The S simulations are independent Dask tasks (rbengine.fanout), as the paper
ran its five simulations in parallel: a LocalCluster of --workers processes
(default: one per core, at most S), or an existing cluster with --scheduler.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rbengine.config import RunConfig  # noqa: E402
from rbengine.fanout import Fanout, Serial, default_workers  # noqa: E402
from rbengine.learner import FOUND_BY, Learner  # noqa: E402
from rbengine.scenario import ATTACKERS, MODES  # noqa: E402


def simulate(cfg_dict: dict) -> dict:
    """One simulation, in memory (no store): per-episode curves and the totals."""
    cfg = RunConfig.from_dict(cfg_dict)
    L = Learner(cfg)
    states, generated, best = [], [], []
    t0 = time.perf_counter()
    for _ in range(cfg.episodes):
        out = L.run_episode()
        if out.exhausted:
            break
        states.append(out.states_explored)
        generated.append(len(L.known))
        best.append(None if L.best is None else (L.best.accumulated, L.best.by))
    seconds = time.perf_counter() - t0
    final = L.optimise() if cfg.optimise else None
    fc = L.first_correct or {}
    # the first episode after which a correct candidate as cheap as the final one was known
    reached = by = None
    if final is not None and final.correct:
        reached = next((i + 1 for i, b in enumerate(best)
                        if b is not None and b[0] >= final.accumulated), None)
        by = best[reached - 1][1] if reached else None
    return {
        "seed": cfg.seed, "episodes": L.episodes_done, "seconds": seconds,
        "states": states, "generated": generated,
        "first_correct_states": fc.get("states"), "first_correct_candidates": fc.get("candidates"),
        "first_correct_episode": fc.get("episode"),
        "correct": L.distinct_correct, "incorrect": L.distinct_incorrect,
        "correct_episodes": L.correct_episodes, "incorrect_episodes": L.incorrect_episodes,
        "cache_hit_rate": L.cache.hit_rate,
        "final": None if final is None or final.candidate is None else {
            "notation": final.candidate.notation().replace("\n", " | "),
            "correct": final.correct, "reward": final.accumulated,
            "metrics": L.metrics(final.candidate), "reached": reached,
            "by": by},
        "result": None if L.result is None else L.result.notation().replace("\n", " | "),
        "best": None if L.best is None else {
            "notation": L.best.candidate.notation().replace("\n", " | "),
            "reward": L.best.accumulated, "metrics": L.metrics(L.best.candidate)},
    }


def mean_sd(values) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "-"
    sd = statistics.pstdev(vals) if len(vals) > 1 else 0.0
    return f"{statistics.mean(vals):.1f} ± {sd:.1f}" + ("" if len(vals) == len(values)
                                                      else f" ({len(vals)}/{len(values)})")


def report(target: str, results: list[dict], wall: float, cfg: dict | None = None) -> str:
    lines = [f"target {target}: {len(results)} simulation(s) x {results[0]['episodes']} episodes, "
             f"wall time {wall:.1f} s"]
    if cfg is not None:
        c = RunConfig.from_dict(cfg)
        lines.append(f"N={c.n_value} F={c.f_value} attacker={c.attacker} vocabulary={c.vocabulary} "
                     f"backend={c.backend}; alpha={c.alpha:g} gamma={c.gamma:g} c={c.ucb_c:g} "
                     f"optimistic={c.optimistic} untried={c.untried}"
                     f"{f' guide_c={c.guide_c:g}' if c.untried == 'guided' else ''} "
                     f"update_order={c.update_order}; sizes={c.sizes or '-'}; "
                     f"seeds {', '.join(str(r['seed']) for r in results)}")
    lines.append("")
    lines.append("Table 7 - states explored until the first correct candidate")
    lines.append(f"  {target:<10} {mean_sd([r['first_correct_states'] for r in results])}")
    lines.append("")
    lines.append("Table 8 - correct / incorrect candidates, candidates until the first correct")
    lines.append(f"  {target:<10} {mean_sd([r['correct'] for r in results])} / "
                 f"{mean_sd([r['incorrect'] for r in results])} / "
                 f"{mean_sd([r['first_correct_candidates'] for r in results])}")
    share = [r["incorrect"] / max(1, r["correct"] + r["incorrect"]) for r in results]
    lines.append(f"  incorrect share {100 * statistics.mean(share):.1f}%")
    lines.append("")
    lines.append("Final candidates (optimisation episode)")
    for r in results:
        f = r["final"]
        if f is None:
            lines.append(f"  seed {r['seed']}: none")
            continue
        m = f["metrics"]
        when = f", first reached in episode {f['reached']}" if f.get("reached") else ""
        if f.get("by") and f["by"] != "episode":
            when += f" (by {FOUND_BY.get(f['by'], f['by'])})"
        lines.append(f"  seed {r['seed']}: {'correct' if f['correct'] else 'INCORRECT'}, "
                     f"reward {f['reward']:g}, {m['messages']} msgs, {m['steps']} steps, "
                     f"deliver on {m['to_deliver']}{when}: {f['notation']}")
        if not f["correct"] and r.get("result"):
            lines.append(f"    result (cheapest correct candidate seen): {r['result']}")
    counts: dict[str, int] = {}
    for r in results:
        if r["final"]:
            counts[r["final"]["notation"]] = counts.get(r["final"]["notation"], 0) + 1
    top = max(counts.values()) if counts else 0
    rewards = [r["final"]["reward"] for r in results if r["final"] and r["final"]["correct"]]
    if rewards:
        best = max(rewards)
        lines.append(f"  a correct candidate of the best reward of all simulations ({best:g}) "
                     f"in {rewards.count(best)} of {len(results)} simulations")
    lines.append(f"  converged to the same candidate in {top} of {len(results)} simulations")
    lines.append("")
    lines.append("Wall time per simulation")
    for r in results:
        lines.append(f"  seed {r['seed']}: {r['seconds']:.1f} s "
                     f"({r['episodes'] / max(r['seconds'], 1e-9):.0f} episodes/s, "
                     f"cache hit rate {100 * r['cache_hit_rate']:.0f}%)")
    return "\n".join(lines)


def figures(target: str, results: list[dict], out: Path, suffix: str = "") -> list[Path]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    tag = target if not suffix else f"{target}_{suffix}"
    for key, title, fname in (("states", "States explored", "fig2_states"),
                              ("generated", "Candidates generated", "fig3_candidates")):
        fig, ax = plt.subplots(figsize=(7, 4))
        for r in results:
            ax.plot(range(1, len(r[key]) + 1), r[key], label=f"seed {r['seed']}", linewidth=1)
        ax.set_xlabel("episode")
        ax.set_ylabel(title.lower())
        ax.set_title(f"{title} per episode ({tag.replace('_', ', ')})")
        ax.legend(fontsize="small")
        fig.tight_layout()
        p = out / f"{fname}_{tag}.png"
        fig.savefig(p, dpi=120)
        plt.close(fig)
        paths.append(p)
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", choices=MODES, required=True)
    ap.add_argument("--seeds", type=int, default=5, help="simulations (default 5)")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--episodes", type=int, default=12000, help="episodes each (default 12000)")
    ap.add_argument("--config", help="a JSON/TOML run configuration")
    ap.add_argument("--n", type=int)
    ap.add_argument("--attacker", choices=ATTACKERS)
    ap.add_argument("--vocabulary", help="paper (default) or sound")
    ap.add_argument("--backend", default=None)
    ap.add_argument("--sizes", help="sizes to verify, e.g. 4,7:2")
    ap.add_argument("--workers", "--jobs", type=int, default=None, dest="workers",
                    help="Dask worker processes (default: one per core, at most --seeds; "
                         "0 runs the simulations one after another in this process)")
    ap.add_argument("--scheduler", help="an existing Dask cluster, e.g. tcp://HOST:8786")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"), help="where figures go")
    ap.add_argument("--tag", default="", help="added to the names of the files written")
    ap.add_argument("--json", action="store_true", help="also write the raw results as JSON")
    args = ap.parse_args(argv)
    base = RunConfig.load(args.config) if args.config else RunConfig()
    base = base.override(target=args.target, episodes=args.episodes, n=args.n,
                         attacker=args.attacker, backend=args.backend,
                         vocabulary=args.vocabulary, sizes=args.sizes)
    cfgs = [base.override(seed=args.first_seed + i).to_dict() for i in range(args.seeds)]
    t0 = time.perf_counter()
    if args.scheduler:
        fan = Fanout(scheduler=args.scheduler)
    elif args.workers == 0:
        fan = Serial()
    else:
        fan = Fanout(workers=args.workers or min(len(cfgs), default_workers()))
    results: list = [None] * len(cfgs)
    with fan:
        for i, res in fan.map(simulate, cfgs):
            results[i] = res
    wall = time.perf_counter() - t0
    print(report(args.target, results, wall, base.to_dict()))
    out = Path(args.out)
    for p in figures(args.target, results, out, args.tag):
        print(f"figure: {p}")
    if args.json:
        out.mkdir(parents=True, exist_ok=True)
        p = out / f"experiments_{args.target}{'_' + args.tag if args.tag else ''}.json"
        p.write_text(json.dumps({"config": base.to_dict(), "results": results}))
        print(f"results: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
