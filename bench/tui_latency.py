"""Key-response latency of the workbench while the oracle or the learner works.

Drives the real app headless: keys are delivered as the terminal driver would
deliver them, and the latency of a key is the time until its effect (the step
highlighted in the counterexample view) is visible in the app's state. Three
conditions: idle; a verification always in flight in the Composer's worker
(the reference backend, a CPU-bound pure-Python search); a learning run in its
worker. Prints median, p95 and max per condition, and writes them as JSON.

    python bench/tui_latency.py [--keys 200] [--json bench/out/tui_latency.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from textual import events

from rbengine.candidate import Candidate
from rbengine.config import RunConfig
from rbengine.oracle import verify
from rbtui.app import RbtuiApp
from rbtui.widgets.msc import SequenceChart

ALG3 = Candidate.loads(
    "broadcast: send_all type0\n"
    "receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2; "
    "send_all type1 if type1 from F+1")


def send_key(app, key: str) -> None:
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


async def measure_keys(app, chart: SequenceChart, keys: int, busy=None) -> list[float]:
    """Alternate n/p on the Verdict screen; latency = key sent -> step changed."""
    out = []
    for _ in range(keys):
        if busy is not None:
            busy()
        before = chart.step
        send_key(app, "n" if before == 0 else "p")
        t0 = time.perf_counter()
        while chart.step == before:
            await asyncio.sleep(0.0005)
            if time.perf_counter() - t0 > 5:
                raise RuntimeError("a key was not handled within 5 s")
        out.append(time.perf_counter() - t0)
        await asyncio.sleep(0.01)  # a person does not type faster than this
    return out


async def bench(keys: int, db: Path) -> dict:
    app = RbtuiApp(db_path=db, start="composer")
    results: dict[str, dict] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        composer = app.screen
        composer.set_candidate(ALG3)
        await pilot.pause()
        app.open_verdict(ALG3, verify(ALG3, only="crash", n=3, backend="builtin"))
        await pilot.pause()
        chart = app.screen.query_one("#msc", SequenceChart)

        def summary(name: str, xs: list[float], extra: dict | None = None) -> None:
            ms = [x * 1000 for x in xs]
            results[name] = {"keys": len(ms), "median_ms": round(statistics.median(ms), 2),
                             "p95_ms": round(percentile(ms, 0.95), 2),
                             "max_ms": round(max(ms), 2), **(extra or {})}

        summary("idle", await measure_keys(app, chart, keys))

        # a verification always in flight in the Composer (reference backend: ~1.5 s each)
        composer.query_one("#verify-backend").value = "reference"
        composer.query_one("#verify-mode").value = "crash"
        started = [0]

        def keep_verifying() -> None:
            if not composer.verifying:
                started[0] += 1
                composer.action_verify()
        lat = await measure_keys(app, chart, keys, busy=keep_verifying)
        composer.action_cancel_verify()
        summary("verifying", lat, {"verifications_started": started[0]})
        await asyncio.sleep(2.0)  # the cancelled search stops at its next scenario

        # a learning run in its worker
        handle = app.runs.start(RunConfig(target="crash", episodes=10**7, seed=1))
        while handle.progress is None:
            await asyncio.sleep(0.05)
        lat = await measure_keys(app, chart, keys)
        summary("learning", lat, {"episodes_during": handle.progress.episode})
        app.runs.stop_all()
        await app.runs.wait_all()
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=200, help="keys per condition (default 200)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(bench(args.keys, Path(tmp) / "store.sqlite"))
    print(f"{'condition':<10} {'keys':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for name, r in results.items():
        print(f"{name:<10} {r['keys']:>5} {r['median_ms']:>10.2f} {r['p95_ms']:>8.2f} {r['max_ms']:>8.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    worst = max(r["p95_ms"] for r in results.values())
    return 0 if worst < 100 else 1


if __name__ == "__main__":
    sys.exit(main())
