"""The cheapest correct candidates of a run configuration, by brute force: a
thin wrapper of ``rbtui search --all`` (rbengine.search) that prints the
histogram of correct and incorrect candidates per total reward and the
cheapest correct ones across all levels (total reward, then
rbengine.metrics.cost, then the vocabulary's order).

    python bench/optimum.py --target crash
    python bench/optimum.py --target byzantine --attacker same-value
    python bench/optimum.py --target byzantine --vocabulary sound --top 6 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rbengine.config import RunConfig  # noqa: E402
from rbengine.fanout import Fanout, Serial  # noqa: E402
from rbengine.scenario import ATTACKERS, MODES  # noqa: E402
from rbengine.search import Search, histogram_text  # noqa: E402
from rbengine.store import Store  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", choices=MODES, required=True)
    ap.add_argument("--config", help="a JSON/TOML run configuration")
    ap.add_argument("--n", type=int)
    ap.add_argument("--sizes", help="sizes to verify, e.g. 4,7:2")
    ap.add_argument("--attacker", choices=ATTACKERS)
    ap.add_argument("--vocabulary", help="paper (default) or sound")
    ap.add_argument("--backend", default=None)
    ap.add_argument("--top", type=int, default=3, help="cheapest correct candidates shown")
    ap.add_argument("--workers", type=int, default=0,
                    help="Dask worker processes (default 0: this process)")
    ap.add_argument("--db", help="a store to keep the search in (default: a temporary one)")
    args = ap.parse_args(argv)
    base = RunConfig.load(args.config) if args.config else RunConfig()
    cfg = base.override(target=args.target, n=args.n, sizes=args.sizes, attacker=args.attacker,
                        vocabulary=args.vocabulary, backend=args.backend)
    with tempfile.TemporaryDirectory() as tmp:
        with Store(args.db or Path(tmp) / "optimum.sqlite") as st:
            t0 = time.perf_counter()
            s = Search.start(st, cfg, all_=True)
            with (Serial() if args.workers == 0 else Fanout(workers=args.workers)) as fan:
                s.execute(fan)
            wall = time.perf_counter() - t0
            correct = sorted(s.correct.items(), key=lambda kv: kv[1])
            print(f"target {cfg.target}, N={cfg.n_value} F={cfg.f_value} "
                  f"attacker={cfg.attacker} vocabulary={cfg.vocabulary}: {len(s.space)} "
                  f"candidates, {len(correct)} correct, verified in {wall:.1f} s")
            print(histogram_text(s.histogram()))
            print("cheapest correct candidates (total reward; messages, steps, to deliver "
                  "at N, F)")
            for h, rank in correct[:args.top]:
                text = st.candidate(h).notation().replace("\n", " | ")
                print(f"  {-rank[0]:g}; {tuple(rank[1:4])}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
