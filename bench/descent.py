"""Descent (rbengine.descent) from the correct candidates learning runs end on,
in the 5-action space at sizes 4:1 and 7:2, whose certified optimum is -24
(bench/results/search_optimum_b.txt): where each descent ends, after how many
checks and how long ('=>' marks a sideways move, to a candidate as cheap).

    python bench/descent.py                 # the four runs' candidates (seeds 3, 5, 8, 12)
    python bench/descent.py "broadcast: ... | receive: ..."   # others
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
from rbengine.descent import SIDEWAYS, descend  # noqa: E402
from rbengine.reward import total  # noqa: E402
from rbengine.search import make_cache  # noqa: E402

SPACE = OPTIMA["b"][1]
# bench/results/learner_byzantine_sound-full_sizes-4-1_7-2_12000*.txt
RUNS = {
    "seed 3": "broadcast: send_myself type0 | receive: send_all type0 if type2 from F+1; "
              "send_all type0 if type0 from origin; send_all type2 if type0 from N-F; "
              "deliver if type2 from N-F",
    "seed 5": "broadcast: send_all type0 | receive: send_all type0 if type0 from F+1; "
              "send_all type0 if type1 from (N+F)/2; send_all type1 if type0 from origin; "
              "deliver if type0 from N-F",
    "seed 8": "broadcast: send_all type0 | receive: send_all type0 if type1 from F+1; "
              "send_all type0 if type0 from origin; send_all type1 if type0 from N-F; "
              "deliver if type1 from N-F",
    "seed 12": "broadcast: send_myself type0 | receive: send_all type0 if type0 from origin; "
               "send_all type2 if type2 from F+1; send_neighbours type2 if type0 from N-F; "
               "deliver if type2 from N-F",
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("candidates", nargs="*", help="candidates in the notation ('|' between "
                    "handlers); default: the learning runs' four")
    ap.add_argument("--backend", default="builtin")
    ap.add_argument("--sideways", type=int, default=SIDEWAYS,
                    help=f"correct candidates expanded per reward (default {SIDEWAYS}; "
                         "0: a plain descent)")
    args = ap.parse_args(argv)
    cfg = RunConfig.from_dict(dict(SPACE, backend=args.backend))
    starts = ({f"#{i}": c for i, c in enumerate(args.candidates, 1)} if args.candidates
              else RUNS)
    print(f"descent in the 5-action space (sound, GH6 maximum 5), byzantine, full attacker, "
          f"sizes {cfg.sizes}, backend {args.backend}, sideways {args.sideways}; "
          f"the certified optimum is -24")
    for name, text in starts.items():
        start = Candidate.loads(text.replace(" | ", "\n"))
        cache = make_cache(cfg)
        if not cache.correct(start):
            print(f"{name}: not correct at every size, no descent")
            continue
        t0 = time.perf_counter()
        print(f"{name}: {total(cfg.rewards, start):g}: {text}")
        last = None
        for m in descend(start, cfg, cache.correct, sideways=args.sideways):
            last = m
            print(f"  {'=>' if m.sideways else '->'} {m.reward:g} after {m.checks} checks, "
                  f"{time.perf_counter() - t0:.1f} s: "
                  f"{m.candidate.notation().replace(chr(10), ' | ')}")
        end = last.reward if last else total(cfg.rewards, start)
        print(f"  ends on {end:g} after {cache.misses - 1} checks in all, "
              f"{time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
