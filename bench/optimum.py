"""The cheapest correct candidates of a run configuration, by brute force.

Enumerates every candidate the configuration's heuristics allow (GH9 aside:
it only blocks what a run has verified), verifies each one with the oracle
and prints how many there are per total reward, correct and incorrect, and
the cheapest correct ones (total reward, then rbengine.metrics.cost): the
optimum a learning run should converge to.

    python bench/optimum.py --target crash
    python bench/optimum.py --target byzantine --attacker same-value
    python bench/optimum.py --target byzantine --vocabulary sound --top 6
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rbengine import metrics, space  # noqa: E402
from rbengine.config import RunConfig  # noqa: E402
from rbengine.learner import Learner  # noqa: E402
from rbengine.scenario import ATTACKERS, MODES  # noqa: E402
from rbengine.state import State  # noqa: E402


def candidates(learner: Learner) -> list[State]:
    """Every final state reachable under the heuristics (rbengine.space)."""
    return sorted(space.finals(learner.heur), key=lambda s: s.key)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", choices=MODES, required=True)
    ap.add_argument("--config", help="a JSON/TOML run configuration")
    ap.add_argument("--n", type=int)
    ap.add_argument("--attacker", choices=ATTACKERS)
    ap.add_argument("--vocabulary", help="paper (default) or sound")
    ap.add_argument("--backend", default=None)
    ap.add_argument("--top", type=int, default=3, help="cheapest correct candidates shown")
    args = ap.parse_args(argv)
    base = RunConfig.load(args.config) if args.config else RunConfig()
    cfg = base.override(target=args.target, n=args.n, attacker=args.attacker,
                        vocabulary=args.vocabulary, backend=args.backend)
    L = Learner(cfg)
    t0 = time.perf_counter()
    finals = candidates(L)
    rows = []
    for s in finals:
        cand = s.candidate(L.actions)
        verdict, _ = L.cache.verify(cand)
        rows.append((L.accumulated(s)[0], verdict.correct, cand))
    wall = time.perf_counter() - t0
    print(f"target {cfg.target}, N={cfg.n_value} F={cfg.f_value} attacker={cfg.attacker} "
          f"vocabulary={cfg.vocabulary}: {len(rows)} candidates, "
          f"{sum(ok for _, ok, _ in rows)} correct, verified in {wall:.1f} s")
    per = Counter((r, ok) for r, ok, _ in rows)
    print("total reward: correct / incorrect")
    for r in sorted({r for r, _, _ in rows}, reverse=True):
        print(f"  {r:6g}: {per[(r, True)]} / {per[(r, False)]}")
    good = sorted(((-r, tuple(metrics.cost(c, cfg.n_value, cfg.f_value)), c.notation())
                   for r, ok, c in rows if ok))
    print("cheapest correct candidates (total reward; messages, steps, to deliver at N, F)")
    for neg, cost, text in good[:args.top]:
        print(f"  {-neg:g}; {cost}: {text.replace(chr(10), ' | ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
