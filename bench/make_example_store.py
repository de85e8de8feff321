"""Build store.sqlite.example: one small finished run of the crash experiment.

The paper's crash experiment (N=3, F=1, paper vocabulary and heuristics) with a
fixed seed and a few hundred episodes, so the workbench and ``rbtui runs --db
store.sqlite.example`` have something real to show. It scores untried actions
at their optimistic initial value (``untried = "initial"``, docs/learner.md),
which converges in tens of episodes rather than the default's hundreds to
thousands, so a run this short already ends on a cheapest correct candidate
(reward -7) and the file stays under 2 MB. The file is written in
rollback-journal mode and vacuumed, so it is one self-contained file.

    python bench/make_example_store.py [--episodes 600] [--seed 2027] [--out PATH]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rbengine.config import RunConfig  # noqa: E402
from rbengine.run import Run  # noqa: E402
from rbengine.store import Store  # noqa: E402


def build(path: Path, episodes: int, seed: int) -> dict:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    with Store(path) as store:
        run = Run.start(store, RunConfig(target="crash", n=3, episodes=episodes, seed=seed,
                                         untried="initial", checkpoint_every=50),
                        name="crash-example")
        run.execute()
        row = store.run(run.id)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=600)
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--out", default=str(ROOT / "store.sqlite.example"))
    args = ap.parse_args(argv)
    row = build(Path(args.out), args.episodes, args.seed)
    size = Path(args.out).stat().st_size
    print(f"{args.out}: run {row['id']} {row['status']}, {row['episodes_done']} episodes, "
          f"{row['correct_episodes']} correct / {row['incorrect_episodes']} incorrect episodes, "
          f"{size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
