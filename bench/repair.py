"""Near misses and their repairs (rbengine.descent.repair) in the 5-action
space at sizes 4:1 and 7:2, whose certified optimum is -24
(bench/results/search_optimum_b.txt). For each seed: a learning run without
walks, the near misses it meets (candidates correct at 4:1 only, and
candidates failing only the last scenario of 4:1), and what a repair of each
finds, with the checks and seconds it costs, one after another in this
process.

    python bench/repair.py                          # seeds 0 and 1, 12,000 episodes
    python bench/repair.py --seeds 0 --chain        # also repair the near misses repairs meet
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import OPTIMA  # noqa: E402  (bench/search.py)

from rbengine.candidate import Candidate  # noqa: E402
from rbengine.config import RunConfig  # noqa: E402
from rbengine.descent import repair  # noqa: E402
from rbengine.learner import Learner, near_miss_kind  # noqa: E402
from rbengine.reward import total  # noqa: E402

OPTIMUM = -24


def kind(L: Learner, h: str) -> str | None:
    """Which near miss `h` is, as the learner tells them apart, or None."""
    parts = L.cache.parts(h)
    return near_miss_kind(parts[0][1], L._plan[0]) if parts else None


def line(c: Candidate) -> str:
    return c.notation().replace("\n", " | ")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--episodes", type=int, default=12000)
    ap.add_argument("--chain", action="store_true",
                    help="repair too the candidates correct at 4:1 only that unsuccessful "
                         "repairs meet")
    args = ap.parse_args(argv)
    print(f"near misses and repairs in the {OPTIMA['b'][0]}; the certified optimum is "
          f"{OPTIMUM}; learning runs without walks, {args.episodes} episodes, built-in backend")
    for seed in args.seeds:
        cfg = RunConfig.from_dict(dict(OPTIMA["b"][1], seed=seed, episodes=args.episodes))
        L = Learner(cfg)
        near: list[tuple[int, str, Candidate]] = []
        t0 = time.perf_counter()
        for _ in range(args.episodes):
            before = len(L.known)
            out = L.run_episode()
            if len(L.known) > before and not out.correct:
                k = kind(L, out.candidate_hash)
                if k:
                    near.append((out.episode, k, out.candidate))
        learned = time.perf_counter() - t0
        kinds = {k: sum(1 for _, kk, _ in near if kk == k)
                 for k in ("first size only", "last scenario")}
        print(f"seed {seed}: {args.episodes} episodes in {learned:.1f} s, "
              f"{L.distinct_correct} correct candidates; near misses: "
              + ", ".join(f"{n} {k}" for k, n in kinds.items()))
        checks0, t1, found, met = L.cache.misses, time.perf_counter(), 0, []
        for episode, k, c in near:
            tried: list[Candidate] = []

            def correct(n: Candidate) -> bool:
                tried.append(n)
                return L.cache.correct(n)

            m = repair(c, cfg, correct)
            if m is None:
                met += [n for n in tried if kind(L, n.content_hash()) == "first size only"]
                continue
            found += 1
            mark = " (the certified optimum's reward)" if m.reward == OPTIMUM else ""
            print(f"  episode {episode} ({k}, {total(cfg.rewards, c):g}) -> {m.reward:g}{mark} "
                  f"after {m.checks} checks: {line(m.candidate)}")
        print(f"  repairs: {found} of {len(near)} find a correct candidate; "
              f"{L.cache.misses - checks0} checks, {time.perf_counter() - t1:.1f} s")
        if args.chain:
            t2, fixed = time.perf_counter(), 0
            for c in met:
                m = repair(c, cfg, L.cache.correct)
                if m is not None:
                    fixed += 1
                    print(f"  chained: {line(c)} -> {m.reward:g}: {line(m.candidate)}")
            print(f"  chained repairs: the unsuccessful repairs met {len(met)} candidates "
                  f"correct at 4:1 only; {fixed} of them repaired, "
                  f"{time.perf_counter() - t2:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
