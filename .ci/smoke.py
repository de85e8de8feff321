"""A smoke test of an installed rbtui (run by .ci/floors with every dependency
at its declared lower bound): the installed versions are the pinned ones, and
the CLI, a learning run, a TOML configuration, the workbench (headless, with
its plots) and the libraries behind the newer features all work.

Usage: python smoke.py REPO CONSTRAINTS
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path


def check_versions(constraints: Path) -> None:
    for line in constraints.read_text().split():
        name, want = line.split("==")
        got = metadata.version(name)
        if not same(got, want):
            raise SystemExit(f"smoke: {name} {got} installed, the floor is {want}")
        print(f"smoke: {name} {got}")


def same(got: str, want: str) -> bool:
    g, w = got.split("."), want.split(".")
    return g[:len(w)] == w and all(p == "0" for p in g[len(w):])


def cli(*args: str, ok=(0,)) -> str:
    exe = Path(sys.executable).with_name("rbtui")
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600)
    if proc.returncode not in ok:
        raise SystemExit(f"smoke: rbtui {' '.join(args)} exited {proc.returncode}:\n"
                         f"{proc.stdout}\n{proc.stderr}")
    return proc.stdout


async def workbench(store: Path) -> None:
    from rbtui.app import RbtuiApp
    from rbtui.screens.run import RunScreen
    app = RbtuiApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("f3", "f4", "f5", "f2"):
            await pilot.press(key)
        app.open_run(1)
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, RunScreen) and app.screen.is_mounted:
                break
        assert isinstance(app.screen, RunScreen), app.screen
        await pilot.pause(0.5)
        await app.action_quit()


def libraries() -> None:
    import z3
    x = z3.Int("x")
    s = z3.Solver()
    s.add(x > 1, x < 3)
    assert s.check() == z3.sat and s.model()[x].as_long() == 2
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert client.submit(sum, [1, 2, 3]).result(timeout=60) == 6


def main() -> None:
    repo, constraints = Path(sys.argv[1]), Path(sys.argv[2])
    check_versions(constraints)
    import rbtui
    assert not str(Path(rbtui.__file__).resolve()).startswith(str(repo.resolve())), \
        "smoke: rbtui was imported from the source tree, not the installation"
    ex = repo / "examples"
    cli("verify", str(ex / "alg2.txt"), "--target", "crash", "--backend", "builtin")
    cli("verify", str(ex / "alg1.txt"), "--only", "crash", "--backend", "builtin", ok=(1,))
    if shutil.which("spin") and shutil.which("gcc"):
        cli("verify", str(ex / "alg1.txt"), "--only", "none", "--backend", "spin")
    cli("show-candidate", str(ex / "fig3.txt"), "--format", "latex")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cfg = tmp / "run.toml"
        cfg.write_text('target = "none"\nepisodes = 40\nseed = 3\n')
        db = tmp / "s.sqlite"
        cli("run", "--config", str(cfg), "--db", str(db), "-q", "--json", ok=(0, 1))
        cli("runs", "--db", str(db))
        example = tmp / "example.sqlite"
        shutil.copy(repo / "store.sqlite.example", example)
        asyncio.run(workbench(example))
    libraries()
    print("smoke: ok")


if __name__ == "__main__":
    main()
