"""rbengine.fanout on a real Dask LocalCluster and a real scheduler on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from rbengine.fanout import Fanout, FanoutError


def square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def test_local_cluster_maps_every_item_on_worker_processes():
    with Fanout(workers=2) as fan:
        assert fan.workers == 2
        out = dict(fan.map(square, range(20)))
    assert sorted(out) == list(range(20))
    assert all(out[i][0] == i * i for i in range(20))
    assert os.getpid() not in {pid for _, pid in out.values()}


def test_a_failing_task_raises_in_the_caller():
    with Fanout(workers=1) as fan:
        with pytest.raises(ValueError, match="three"):
            list(fan.map(fail_on_three, range(6)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_clear_error():
    port = _free_port()
    with pytest.raises(FanoutError, match=f"127.0.0.1:{port}"):
        with Fanout(scheduler=f"tcp://127.0.0.1:{port}", timeout=2):
            pass


def test_an_existing_scheduler_started_by_hand(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    here = os.path.dirname(os.path.abspath(__file__))
    # workers unpickle the task functions of this module: they must import it
    path = os.pathsep.join([here, os.path.dirname(here), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error")
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                              "--host", "127.0.0.1", "--port", str(port),
                              "--dashboard-address", ":0", "--no-dashboard"],
                             cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with Fanout(scheduler=address, timeout=10) as fan:
                    out = sorted(r[0] for _, r in fan.map(square, range(5)))
                break
            except FanoutError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert out == [0, 1, 4, 9, 16]
    finally:
        for p in (worker, sched):
            p.terminate()
        for p in (worker, sched):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_stream_reads_items_lazily_and_keeps_a_window():
    from rbengine.fanout import Serial
    taken = []

    def items():
        for i in range(30):
            taken.append(i)
            yield i

    with Fanout(workers=2) as fan:
        seen = []
        for i, (value, _pid) in fan.stream(square, items(), window=3):
            assert len(taken) - len(seen) <= 3  # never more than the window in flight
            seen.append(i)
            assert value == i * i
            if len(seen) == 10:
                break
        assert len(taken) <= 13  # leaving early stops reading the items
    with Serial() as ser:
        assert sorted(ser.stream(square, range(4)))[3][1][0] == 9
