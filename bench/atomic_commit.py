"""Atomic commit (paper 002): what learning, verifying and the certified search cost.

1. wall time until the first correct 3-process protocol, per learner and seed
   (N=3, R=2, K=1: the paper's three outputs and two rounds), against the
   paper's "around one hour of training" on a 16-core CPU; with and without the
   counterexample feedback;
2. candidates per second of the built-in verifier and of the Z3 verifier on the
   same machines (random and mutated), and how many verdicts differ (must be 0);
3. the certified search: time to the first correct machine, and the growth of
   (K unnamed states, R rounds) from small, for N = 3, 4, 5 and both property sets;
4. the generalisation matrix of the vote-exchange and optimistic rules over N;
5. a run in the store (rbengine.atomic_commit.run) against the bare learner on
   the same episodes: what checkpointing the whole learner costs.

    python bench/atomic_commit.py                 # 5 seeds, 200 candidates
    python bench/atomic_commit.py --seeds 2 --count 50
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rbengine.atomic_commit import candidates, checker, protocols, search, smt  # noqa: E402
from rbengine.atomic_commit.learner_dqn import DQNLearner  # noqa: E402
from rbengine.atomic_commit.learner_tabular import TabularLearner  # noqa: E402
from rbengine.atomic_commit.model import Model  # noqa: E402

PAPER_SECONDS = 3600.0


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def learners(args):
    print(f"## 1. First correct 3-process protocol (N=3, R=2, K=1, {args.seeds} seeds, "
          f"at most {args.episodes} episodes or {args.budget:g} s each)")
    print(f"{'learner':<28}{'props':<11}{'found':>6}{'median s':>10}{'max s':>8}"
          f"{'episodes':>10}{'verified':>10}{'paper 1 h / median':>20}")
    rows = [("dqn", DQNLearner, {}), ("tabular-ucb", TabularLearner, {}),
            ("dqn, no feedback", DQNLearner, {"p_pool": 0.0}),
            ("tabular-ucb, no feedback", TabularLearner, {"p_pool": 0.0})]
    for props in ("classical", "paper"):
        model = Model(3, 2, properties=props)
        for name, cls, kw in rows:
            secs, eps, cands, found = [], [], [], 0
            for seed in range(args.seeds):
                res = cls(model, k=1, seed=seed, **kw).learn(args.episodes, seconds=args.budget)
                if res.found:
                    assert smt.check(res.machine, model).correct
                    found += 1
                    secs.append(res.seconds)
                    eps.append(res.episodes)
                    cands.append(res.candidates)
            m = med(secs)
            print(f"{name:<28}{props:<11}{found:>3}/{args.seeds:<2}{m:>10.2f}"
                  f"{max(secs) if secs else float('nan'):>8.2f}{med(eps):>10.0f}"
                  f"{med(cands):>10.0f}{PAPER_SECONDS / m if secs else float('nan'):>19.0f}x")
    print("\nlarger N (R=2, K=1, classical): the same learners")
    for n in (4, 5):
        model = Model(n, 2)
        for name, cls, kw in rows[:2]:
            secs, found = [], 0
            for seed in range(args.seeds):
                res = cls(model, k=1, seed=seed, **kw).learn(args.episodes, seconds=args.budget)
                if res.found:
                    assert smt.check(res.machine, model).correct
                    found += 1
                    secs.append(res.seconds)
            print(f"N={n} {name:<24}{found:>3}/{args.seeds:<2} found, median "
                  f"{med(secs):.2f} s, max {max(secs) if secs else float('nan'):.2f} s")
    print("\ngrowing (K, R) from (0, 1) with each learner (2000 episodes per pair), N=3, classical")
    for name, cls, _ in rows[:2]:
        t0 = time.perf_counter()
        g = search.grow_learning(cls, 3, episodes=2000)
        tried = ", ".join(f"({k},{r}) {'found' if res.found else 'none'}"
                          f"{'' if res.found else ' [certified: ' + ('exists' if ex else 'none') + ']'}"
                          for k, r, res, ex in g.tried)
        print(f"{name:<12} first {g.first}: {tried}  ({time.perf_counter() - t0:.1f} s)")
    print()


def verifiers(args):
    print(f"## 2. Verifiers on the same {args.count} machines per size (random and mutated)")
    print(f"{'N':>2}{'R':>3}{'props':>11}{'builtin/s':>11}{'z3/s':>9}{'ratio':>8}"
          f"{'z3 setup s':>12}{'incorrect':>11}{'differ':>8}"
          f"{'correct: builtin ms':>21}{'z3 ms':>8}")
    for n, rounds in ((3, 2), (4, 2), (5, 2)):
        for props in ("classical", "paper"):
            rng = random.Random(n * 10 + rounds)
            ms = []
            for i in range(args.count if n == 3 else max(10, args.count // 4)):
                if i % 3 == 0:
                    ms.append(candidates.random_machine(n, 1, rng))
                else:
                    base = protocols.machine(("vote-exchange", "optimistic")[i % 2], n)
                    ms.append(candidates.mutate(base, rng, rng.randint(1, 3)))
            model = Model(n, rounds, properties=props)
            t0 = time.perf_counter()
            smt.Encoding(model, 1)  # built once per size, not per machine
            setup = time.perf_counter() - t0
            tb, tz, differ, wrong, ok_b, ok_z = [], [], 0, 0, [], []
            for m in ms:
                t0 = time.perf_counter()
                a = checker.check(m, model)
                tb.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                b = smt.check(m, model)
                tz.append(time.perf_counter() - t0)
                differ += a.correct != b.correct
                wrong += not a.correct
                if a.correct:
                    ok_b.append(tb[-1])
                    ok_z.append(tz[-1])
            rb, rz = len(ms) / sum(tb), len(ms) / sum(tz)
            print(f"{n:>2}{rounds:>3}{props:>11}{rb:>11.1f}{rz:>9.1f}{rb / rz:>7.1f}x"
                  f"{setup:>12.3f}{wrong:>6}/{len(ms):<4}{differ:>8}"
                  f"{1e3 * med(ok_b):>21.1f}{1e3 * med(ok_z):>8.1f}")
    print("(rates over all machines, mostly incorrect ones, which both reject early;"
          " medians over the correct ones)")
    print()


def certified(args):
    print("## 3. Certified search (complete: a correct machine if one exists)")
    t0 = time.perf_counter()
    r = search.find(3, 1, 2)
    print(f"first correct machine N=3 R=2 K=1 classical: {r.seconds:.3f} s, {r.nodes} nodes, "
          f"hash {r.machine.hash()}")
    print(f"\n(K, R) from small, K <= {args.max_k}, R <= {args.max_rounds}; a pair above one "
          f"that admits a machine is not searched")
    print(f"{'N':>2} {'props':<10} {'delivery':<9} {'smallest (K,R)':<16} searched (K,R): exists, nodes, s")
    for n in (3, 4, 5):
        for props in ("classical", "paper"):
            for partial in (True, False):
                g = search.grow(n, props, partial, args.max_k, args.max_rounds)
                cells = "; ".join(f"({x.k},{x.rounds}) {'yes' if x.exists else 'no'} "
                                  f"{x.nodes} {x.seconds:.2f}" for x in g.results)
                print(f"{n:>2} {props:<10} {'partial' if partial else 'all/none':<9} "
                      f"{str(g.smallest):<16} {cells}")
    print(f"total {time.perf_counter() - t0:.1f} s")
    print()


def matrix(args):
    print("## 4. Generalisation matrix: one rule, every N (builtin = z3 in every cell)")
    ns = (2, 3, 4, 5)
    print(f"{'rule':<15}{'R':>2}  " + "".join(f"{'N=' + str(n):>15}" for n in ns))
    for name in ("vote-exchange", "optimistic"):
        for rounds in (1, 2):
            cells = []
            for n in ns:
                m = protocols.machine(name, n)
                out = []
                for props in ("classical", "paper"):
                    model = Model(n, rounds, properties=props)
                    a, b = checker.check(m, model), smt.check(m, model)
                    assert a.correct == b.correct
                    out.append("ok" if a.correct else a.property)
                cells.append("/".join(out))
            print(f"{name:<15}{rounds:>2}  " + "".join(f"{c:>15}" for c in cells))
    print("(cells: classical/paper; ok = correct, else the violated property)")


def store_runs(args):
    """The same seeded episodes (N=3, R=1, K=0: no correct machine, so every
    episode is played) bare and as a run in a store, checkpointing every 500."""
    import tempfile

    from rbengine.atomic_commit.run import ACRun, ACRunConfig, dump_learner
    from rbengine.store import Store
    episodes = 3000
    print(f"\n## 5. A run in the store against the bare learner ({episodes} episodes, "
          f"N=3 R=1 K=0, {args.seeds} seeds, checkpoint every 500)")
    print(f"{'learner':<10}{'bare s':>9}{'run s':>9}{'ratio':>8}{'ckpt ms':>9}{'ckpt KiB':>10}")
    for learner in ("dqn", "tabular"):
        bare, stored, ckpt, size = [], [], [], []
        for seed in range(args.seeds):
            cfg = ACRunConfig(n=3, rounds=1, k=0, learner=learner, episodes=episodes, seed=seed)
            cls = DQNLearner if learner == "dqn" else TabularLearner
            t0 = time.perf_counter()
            cls(cfg.model(), k=0, seed=seed).learn(episodes)
            bare.append(time.perf_counter() - t0)
            with tempfile.TemporaryDirectory() as d, Store(Path(d) / "s.sqlite") as st:
                t0 = time.perf_counter()
                run = ACRun.start(st, cfg)
                run.execute()
                stored.append(time.perf_counter() - t0)
                for _ in range(5):
                    t0 = time.perf_counter()
                    run.checkpoint()
                    ckpt.append(time.perf_counter() - t0)
                size.append(len(dump_learner(run.learner)[1]) / 1024)
        print(f"{learner:<10}{med(bare):>9.2f}{med(stored):>9.2f}{med(stored) / med(bare):>7.2f}x"
              f"{1000 * med(ckpt):>9.1f}{med(size):>10.0f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--episodes", type=int, default=50000)
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per learning run")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--max-k", type=int, default=2)
    ap.add_argument("--max-rounds", type=int, default=3)
    ap.add_argument("--only", choices=("learners", "verifiers", "certified", "matrix",
                                       "store_runs"))
    args = ap.parse_args()
    print(f"# bench/atomic_commit.py  ({os.cpu_count()} cores, python {sys.version.split()[0]})\n")
    for part in (learners, verifiers, certified, matrix, store_runs):
        if args.only in (None, part.__name__):
            part(args)


if __name__ == "__main__":
    main()
