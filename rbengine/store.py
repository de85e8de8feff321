"""One SQLite file holding runs, episodes, candidates, verdicts (the verdict
cache, shared by all runs), Q-tables, GH9's dead states and checkpoints.

Why SQLite: a run of 12,000 episodes must survive Ctrl-C, kill -9 and a full
disk without losing more than the episode in flight, and the workbench reads a
run while another process writes it. A checkpoint is one transaction (WAL
mode), so the file always holds a consistent run.

Safety: a file that is not an rbtui store, is corrupt, or was written by a
newer schema is refused with a StoreError before anything is written to it.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import sqlite_utils

from .cache import VerdictRecord
from .candidate import Candidate
from .errors import StoreError

#: 2 added the searches (rbengine.search): a version-1 store gains their
#: tables, empty, the first time it is opened for writing.
#: 3 added runs.request: a pause or stop asked of the process running the run.
#: 4 added runs.problem (empty: reliable-broadcast) and learner_state, the
#: binary checkpoint of a learner that is not a Q-table of rows (a network).
#: 5 declared the foreign keys (FOREIGN_KEYS) and renamed the counts called
#: correct/incorrect (RENAMED_COLUMNS), so that `correct` is always a verdict.
#: Opened read-only, an older store is read as it is (its rows under the new
#: names). docs/store.md describes every table and column.
#: 6 added run_checks: the report's extra checks of a finished run (rbengine.run_checks).
SCHEMA_VERSION = 6
#: Columns added to a table after its creation, by table: an older store gains
#: them (empty) the first time it is opened for writing.
ADDED_COLUMNS = {"runs": {"request": str, "problem": str}}
#: The problem of a run whose `problem` is empty (every run before schema 4).
DEFAULT_PROBLEM = "reliable-broadcast"
#: Columns renamed after their creation, by table (old name -> new name).
RENAMED_COLUMNS = {
    "runs": {"correct": "correct_episodes", "incorrect": "incorrect_episodes"},
    "searches": {"correct": "correct_candidates", "incorrect": "incorrect_candidates"},
}
#: (column, table, column) by table; enforced on connections that write.
#: Some hashes name candidates without a row in `candidates`, so no key there:
#: verdicts and search_verdicts (a search keeps the JSON of its correct
#: candidates alone, not of the many incorrect) and runs' best/final/result
#: hashes (an atomic commit run's machines live in its checkpoint).
FOREIGN_KEYS = {
    "episodes": [("run_id", "runs", "id"), ("candidate_hash", "candidates", "hash")],
    "qtable": [("run_id", "runs", "id")],
    "dead_states": [("run_id", "runs", "id")],
    "checkpoints": [("run_id", "runs", "id")],
    "learner_state": [("run_id", "runs", "id")],
    "run_checks": [("run_id", "runs", "id")],
    "search_verdicts": [("search_id", "searches", "id")],
}
REQUESTS = ("pause", "stop")
APPLICATION = "rbtui-store"
_HEADER = b"SQLite format 3\x00"
ENV_VAR = "RBTUI_STORE"
QUICK_CHECK_LIMIT = 256 * 1024 * 1024  # bytes

#: A row as the store returns it: column name -> value.
Row = dict[str, Any]
#: A row of the verdicts table (verdict_row): candidate hash, oracle key,
#: correct, summary, verdict JSON, backend, seconds, states, created.
VerdictRow = tuple[str, str, int, str, str, str, float, int, str]


def default_path() -> Path:
    """$RBTUI_STORE, else platformdirs.user_data_dir("rbtui")/store.sqlite."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_data_dir("rbtui")) / "store.sqlite"


def _connect_ro(p: Path, **kw: Any) -> sqlite3.Connection:
    """A read-only connection. A WAL store in a directory that cannot be
    written (no -shm can be made) opens as immutable: nobody can be writing it."""
    uri = p.resolve().as_uri()
    try:
        conn: sqlite3.Connection = sqlite3.connect(uri + "?mode=ro", uri=True, **kw)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return conn
    except sqlite3.OperationalError:
        if os.access(p.parent, os.W_OK):
            raise
        return cast(sqlite3.Connection, sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, **kw))


def writable(path: str | Path) -> bool:
    """The store at `path` (existing) can be written: the file and, for the
    WAL's side files, its directory."""
    p = Path(path)
    return os.access(p, os.W_OK) and os.access(p.parent, os.W_OK)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime())


def _dumps(d: object) -> str:
    return json.dumps(d, separators=(",", ":"))


def _compact(verdict: dict[str, Any]) -> dict[str, Any]:
    """A verdict without the steps' text and empty fields (Step.from_json
    restores both), which would otherwise be most of a store's size."""
    cx = verdict.get("counterexample")
    if not cx:
        return verdict
    steps = [{k: v for k, v in st.items() if k != "text" and v not in (None, [], ())}
             for st in cx.get("steps", ())]
    return dict(verdict, counterexample=dict(cx, steps=steps))


def verdict_row(oracle_key: str, h: str, v: VerdictRecord) -> VerdictRow:
    """A row of the verdicts table: a search's workers build them, so the JSON
    of counterexamples is written where it was computed, not in the one
    process that records every batch."""
    return (h, oracle_key, int(v.correct), v.summary, _dumps(_compact(v.data)), v.backend,
            v.seconds, v.states, _now())


class Store:
    """A store file. One Store object is used by one thread at a time.

    `readonly=None` opens read-only when the file cannot be written (see
    `writable`), else read-write. `create=False` refuses a path where there
    is no store yet instead of creating it (and its directories)."""

    def __init__(self, path: str | Path | None = None, readonly: bool | None = False,
                 create: bool = True):
        self.path = Path(path) if path is not None else default_path()
        if readonly is None:
            readonly = self.path.exists() and not writable(self.path)
        self.readonly = readonly
        if not create and not readonly and not self.path.exists():
            raise StoreError(f"{self.path}: no such store")
        self._precheck()
        try:
            if readonly:
                conn = _connect_ro(self.path, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            self.db = sqlite_utils.Database(conn, execute_plugins=False)
            if not readonly:
                with self.db.ensure_autocommit_on():
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                self._create()
                conn.execute("PRAGMA foreign_keys = ON")  # after _create's rebuilds
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable rbtui store ({exc})") from None
        except OSError as exc:
            raise StoreError(f"{self.path}: {exc.strerror or exc}") from None

    # ---- opening safely ---------------------------------------------------
    def _precheck(self) -> None:
        """Refuse bad files through a read-only look, before any write."""
        p = self.path
        if not p.exists():
            if self.readonly:
                raise StoreError(f"{p}: no such store")
            return
        if p.is_dir():
            raise StoreError(f"{p}: is a directory, not a store")
        try:
            with open(p, "rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise StoreError(f"{p}: {exc.strerror or exc}") from None
        if not head:
            return  # an empty file is an empty database
        if head != _HEADER:
            raise StoreError(f"{p}: not an SQLite file (corrupt or not a store); left untouched")
        try:
            conn = _connect_ro(p)
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = {r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                # a full check reads every page: only for stores of reasonable size
                ok = (conn.execute("PRAGMA quick_check").fetchone()[0]
                      if p.stat().st_size <= QUICK_CHECK_LIMIT else "ok")
                app = None
                if "meta" in tables:
                    row = conn.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
                    app = row[0] if row else None
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{p}: corrupt store ({exc}); left untouched") from None
        if ok != "ok":
            raise StoreError(f"{p}: corrupt store (integrity check: {ok}); left untouched")
        if version > SCHEMA_VERSION:
            raise StoreError(f"{p}: written by a newer rbtui (store schema {version}, this "
                             f"version reads up to {SCHEMA_VERSION}); upgrade rbtui to open it")
        if tables and app != APPLICATION:
            raise StoreError(f"{p}: an SQLite file that is not an rbtui store; left untouched")

    def _create(self) -> None:
        db = self.db
        version = db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        fks = FOREIGN_KEYS
        with db.atomic():
            db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
            db["candidates"].create({"hash": str, "json": str, "notation": str, "types": int},
                                    pk="hash", if_not_exists=True)
            db["runs"].create({
                "id": int, "name": str, "created": str, "updated": str, "status": str,
                "target": str, "config": str, "seed": int, "episodes_planned": int,
                "episodes_done": int, "seconds": float, "correct_episodes": int,
                "incorrect_episodes": int,
                "distinct_correct": int, "distinct_incorrect": int, "states": int,
                "cache_hits": int, "cache_misses": int, "best_hash": str, "final_hash": str,
                "final_correct": int, "result_hash": str, "pid": int, "host": str,
                "message": str}, pk="id", if_not_exists=True)
            db["episodes"].create({
                "run_id": int, "episode": int, "candidate_hash": str, "correct": int,
                "cached": int, "accumulated": float, "bonus": float, "states": int,
                "seconds": float, "new_dead": int}, pk=("run_id", "episode"),
                foreign_keys=fks["episodes"], if_not_exists=True)
            db["verdicts"].create({
                "candidate_hash": str, "oracle_key": str, "correct": int, "summary": str,
                "verdict": str, "backend": str, "seconds": float, "states": int,
                "created": str}, pk=("candidate_hash", "oracle_key"), if_not_exists=True)
            db["qtable"].create({"run_id": int, "state": str, "action": str, "q": float,
                                 "visits": int}, pk=("run_id", "state", "action"),
                                foreign_keys=fks["qtable"], if_not_exists=True)
            db["dead_states"].create({"run_id": int, "state": str}, pk=("run_id", "state"),
                                     foreign_keys=fks["dead_states"], if_not_exists=True)
            db["checkpoints"].create({"run_id": int, "episode": int, "learner": str,
                                      "saved": str}, pk="run_id",
                                     foreign_keys=fks["checkpoints"], if_not_exists=True)
            db["searches"].create({
                "id": int, "name": str, "created": str, "updated": str, "status": str,
                "target": str, "config": str, "space": str, "all": int, "total": int,
                "levels": str, "verified": int, "correct_candidates": int,
                "incorrect_candidates": int,
                "level": float, "optimum": float, "result_hashes": str, "seconds": float,
                "pid": int, "host": str, "message": str}, pk="id", if_not_exists=True)
            db["search_verdicts"].create({
                "search_id": int, "candidate_hash": str, "reward": float, "correct": int},
                pk=("search_id", "candidate_hash"), foreign_keys=fks["search_verdicts"],
                if_not_exists=True)
            db["learner_state"].create({"run_id": int, "episode": int, "format": str,
                                        "data": bytes, "saved": str}, pk="run_id",
                                       foreign_keys=fks["learner_state"], if_not_exists=True)
            db["run_checks"].create({"run_id": int, "candidate_hash": str, "checks": str,
                                     "created": str}, pk="run_id",
                                    foreign_keys=fks["run_checks"], if_not_exists=True)
            for table, columns in ADDED_COLUMNS.items():
                have = db[table].columns_dict
                for name, kind in columns.items():
                    if name not in have:
                        db[table].add_column(name, kind)
            # parents first: a child rebuilt later refers to its parent's final table
            for table in ("runs", "searches", *FOREIGN_KEYS):
                self._rebuild(table)
            db["meta"].upsert_all([{"key": "application", "value": APPLICATION},
                                   {"key": "schema_version", "value": str(SCHEMA_VERSION)}],
                                  pk="key")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _rebuild(self, table: str) -> None:
        """Bring a table of an older store to RENAMED_COLUMNS and FOREIGN_KEYS.
        SQLite cannot add a foreign key to a table: make the table anew, copy
        its rows, drop the old one (foreign keys are off until _create ends)."""
        db = self.db
        renames = RENAMED_COLUMNS.get(table, {})
        want = {(c, t, o) for c, t, o in FOREIGN_KEYS.get(table, [])}
        have = {(r[3], r[2], r[4]) for r in db.execute(f'PRAGMA foreign_key_list("{table}")')}
        columns = db[table].columns_dict
        if want <= have and not set(renames) & set(columns):
            return
        new = f"_rebuild_{table}"
        pks = db[table].pks
        db[new].create({renames.get(c, c): kind for c, kind in columns.items()},
                       pk=pks[0] if len(pks) == 1 else tuple(pks),
                       foreign_keys=FOREIGN_KEYS.get(table, []))
        source = ", ".join(f'"{c}"' for c in columns)
        target = ", ".join(f'"{renames.get(c, c)}"' for c in columns)
        db.execute(f'INSERT INTO "{new}" ({target}) SELECT {source} FROM "{table}"')
        db.execute(f'DROP TABLE "{table}"')
        db.execute(f'ALTER TABLE "{new}" RENAME TO "{table}"')

    def close(self) -> None:
        try:
            self.db.conn.close()
        except sqlite3.Error:
            pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        try:
            return list(self.db.query(sql, params))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    def _renamed(self, table: str, rows: list[Row]) -> list[Row]:
        """Rows of an older store (opened read-only) under the current names."""
        renames = RENAMED_COLUMNS[table]
        if rows and not set(renames) & set(rows[0]):
            return rows
        return [{renames.get(k, k): v for k, v in r.items()} for r in rows]

    def _write(self) -> AbstractContextManager[sqlite_utils.Database]:
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        return self.db.atomic()

    # ---- runs ------------------------------------------------------------
    def create_run(self, config: dict[str, Any], seed: int, planned: int, name: str | None = None,
                   problem: str = DEFAULT_PROBLEM) -> int:
        with self._write():
            cur = self.db.execute(
                "INSERT INTO runs (name, created, updated, status, target, config, seed, "
                "episodes_planned, episodes_done, seconds, correct_episodes, incorrect_episodes, "
                "distinct_correct, distinct_incorrect, states, cache_hits, cache_misses, pid, host) "
                "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, ?, ?)",
                (name, _now(), _now(), config["target"], _dumps(config), seed, planned,
                 os.getpid(), socket.gethostname()))
            if problem != DEFAULT_PROBLEM:
                self.db.execute("UPDATE runs SET problem = ? WHERE id = ?",
                                (problem, cur.lastrowid))
            return cast(int, cur.lastrowid)  # set by the INSERT

    @staticmethod
    def problem_of(row: Row) -> str:
        """The problem a run row learns (a row of a store older than problems: RB)."""
        return row.get("problem") or DEFAULT_PROBLEM

    def run(self, run_id: int | str) -> Row:
        try:
            rid = int(run_id)
        except (TypeError, ValueError):
            rows = self._q("SELECT * FROM runs WHERE name = ? ORDER BY id DESC", (str(run_id),))
        else:
            rows = self._q("SELECT * FROM runs WHERE id = ?", (rid,))
        rows = self._renamed("runs", rows)
        if not rows:
            raise StoreError(f"no run {run_id!r} in {self.path}")
        return rows[0]

    def runs(self) -> list[Row]:
        return self._renamed("runs", self._q("SELECT * FROM runs ORDER BY id"))

    def update_run(self, run_id: int, **fields: Any) -> None:
        fields["updated"] = _now()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._write():
            self.db.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id))

    # ---- requests to a run's owner (another process) ----------------------
    def request(self, run_id: int, what: str) -> bool:
        """Ask the process running `run_id` to pause or stop it at its next
        checkpoint; False when the run is not running."""
        if what not in REQUESTS:
            raise StoreError(f"unknown request {what!r} (expected one of {', '.join(REQUESTS)})")
        with self._write():
            cur = self.db.execute("UPDATE runs SET request = ? WHERE id = ? AND status = 'running'",
                                  (what, run_id))
            return cur.rowcount > 0

    def pending_request(self, run_id: int) -> str | None:
        """The request recorded for `run_id` (None in a store older than requests)."""
        try:
            rows = self.db.execute("SELECT request FROM runs WHERE id = ?", (run_id,)).fetchall()
        except sqlite3.OperationalError:
            return None
        return rows[0][0] if rows else None

    # ---- candidates and verdicts -----------------------------------------
    def candidate(self, h: str | None) -> Candidate | None:
        if not h:
            return None
        rows = self._q("SELECT json FROM candidates WHERE hash = ?", (h,))
        return Candidate.from_json(json.loads(rows[0]["json"])) if rows else None

    def get_verdict(self, h: str, oracle_key: str) -> VerdictRecord | None:
        rows = self._q("SELECT * FROM verdicts WHERE candidate_hash = ? AND oracle_key = ?",
                       (h, oracle_key))
        if not rows:
            return None
        r = rows[0]
        return VerdictRecord(bool(r["correct"]), r["summary"], json.loads(r["verdict"]),
                             r["backend"], r["seconds"], r["states"])

    def put_verdict_rows(self, rows: Sequence[VerdictRow]) -> None:
        """Verdicts already made rows by ``verdict_row`` (where they were computed)."""
        if rows:
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO verdicts (candidate_hash, oracle_key, correct, summary, "
                "verdict, backend, seconds, states, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows)

    def verdict_hashes(self, keys: Iterable[str]) -> set[str]:
        """The candidates with a verdict under any of these oracle keys (one
        query instead of one per candidate, for the search's enumeration)."""
        keys = list(keys)
        if not keys:
            return set()
        marks = ", ".join("?" * len(keys))
        return {r["candidate_hash"] for r in self._q(
            f"SELECT DISTINCT candidate_hash FROM verdicts WHERE oracle_key IN ({marks})", keys)}

    def put_candidates(self, cands: dict[str, Candidate]) -> None:
        if cands:
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO candidates (hash, json, notation, types) VALUES (?, ?, ?, ?)",
                [(h, _dumps(c.to_json()), c.notation(), c.types()) for h, c in cands.items()])

    def put_verdicts(self, oracle_key: str, verdicts: Sequence[tuple[str, VerdictRecord]]) -> None:
        if verdicts:
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO verdicts (candidate_hash, oracle_key, correct, summary, "
                "verdict, backend, seconds, states, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(h, oracle_key, int(v.correct), v.summary, _dumps(_compact(v.data)), v.backend,
                  v.seconds, v.states, _now()) for h, v in verdicts])

    def put_keyed_verdicts(self, verdicts: Iterable[tuple[str, str, VerdictRecord]]) -> None:
        """(oracle key, candidate hash, VerdictRecord) triples: one key per size."""
        by_key: dict[str, list[tuple[str, VerdictRecord]]] = {}
        for key, h, rec in verdicts:
            by_key.setdefault(key, []).append((h, rec))
        for key, pairs in by_key.items():
            self.put_verdicts(key, pairs)

    def save_verdicts(self, verdicts: Iterable[tuple[str, str, VerdictRecord]]) -> None:
        """put_keyed_verdicts in a transaction of its own (outside a checkpoint)."""
        with self._write():
            self.put_keyed_verdicts(verdicts)

    # ---- checkpoints -----------------------------------------------------
    def checkpoint(self, run_id: int, *, episodes: list[dict[str, Any]],
                   candidates: dict[str, Candidate],
                   verdicts: Iterable[tuple[str, str, VerdictRecord]],
                   q_rows: Sequence[tuple[str, str, float, int]], dead: list[str],
                   learner: dict[str, Any], run_fields: dict[str, Any]) -> None:
        """Everything a completed batch of episodes changed, in one transaction:
        a kill at any moment leaves the previous checkpoint or this one.
        `verdicts`: (oracle key, candidate hash, VerdictRecord), one key per size."""
        conn = self.db.conn
        with self._write():
            self.put_candidates(candidates)
            self.put_keyed_verdicts(verdicts)
            if episodes:
                conn.executemany(
                    "INSERT OR REPLACE INTO episodes (run_id, episode, candidate_hash, correct, "
                    "cached, accumulated, bonus, states, seconds, new_dead) "
                    "VALUES (:run_id, :episode, :candidate_hash, :correct, :cached, "
                    ":accumulated, :bonus, :states, :seconds, :new_dead)", episodes)
            if q_rows:
                conn.executemany(
                    "INSERT OR REPLACE INTO qtable (run_id, state, action, q, visits) "
                    "VALUES (?, ?, ?, ?, ?)", [(run_id, *r) for r in q_rows])
            if dead:
                conn.executemany("INSERT OR IGNORE INTO dead_states (run_id, state) VALUES (?, ?)",
                                 [(run_id, s) for s in dead])
            conn.execute("INSERT OR REPLACE INTO checkpoints (run_id, episode, learner, saved) "
                         "VALUES (?, ?, ?, ?)",
                         (run_id, learner["episodes_done"], _dumps(learner), _now()))
            fields = dict(run_fields, updated=_now())
            cols = ", ".join(f"{k} = ?" for k in fields)
            conn.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id))

    def save_learner(self, run_id: int, *, episode: int, fmt: str, data: bytes,
                     learner: dict[str, Any], run_fields: dict[str, Any]) -> None:
        """A learner kept as bytes (network weights, optimiser moments, generators)
        with its JSON side (counters, history) and the run's fields, in one
        transaction: a kill leaves the previous checkpoint or this one."""
        conn = self.db.conn
        with self._write():
            conn.execute("INSERT OR REPLACE INTO learner_state (run_id, episode, format, data, "
                         "saved) VALUES (?, ?, ?, ?, ?)",
                         (run_id, episode, fmt, sqlite3.Binary(data), _now()))
            conn.execute("INSERT OR REPLACE INTO checkpoints (run_id, episode, learner, saved) "
                         "VALUES (?, ?, ?, ?)", (run_id, episode, _dumps(learner), _now()))
            fields = dict(run_fields, updated=_now())
            cols = ", ".join(f"{k} = ?" for k in fields)
            conn.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*fields.values(), run_id))

    def load_learner(self, run_id: int) -> tuple[str, bytes] | None:
        """(format, bytes) of the run's last save_learner, None before any."""
        if not self._has("learner_state"):
            return None
        rows = self._q("SELECT format, data FROM learner_state WHERE run_id = ?", (run_id,))
        return (rows[0]["format"], bytes(rows[0]["data"])) if rows else None

    def load_checkpoint(self, run_id: int) -> dict[str, Any] | None:
        rows = self._q("SELECT learner FROM checkpoints WHERE run_id = ?", (run_id,))
        return json.loads(rows[0]["learner"]) if rows else None

    def qtable_rows(self, run_id: int) -> list[Row]:
        return self._q("SELECT state, action, q, visits FROM qtable WHERE run_id = ? "
                       "ORDER BY state, action", (run_id,))

    def dead_states(self, run_id: int) -> list[str]:
        return [r["state"] for r in self._q(
            "SELECT state FROM dead_states WHERE run_id = ?", (run_id,))]

    def episodes(self, run_id: int, after: int = 0) -> list[Row]:
        """The run's episodes numbered above `after`, in order."""
        return self._q("SELECT * FROM episodes WHERE run_id = ? AND episode > ? ORDER BY episode",
                       (run_id, after))

    def known_verdicts(self, run_id: int) -> dict[str, bool]:
        """This run's verdicts by candidate hash, in the order first seen."""
        out: dict[str, bool] = {}
        for r in self._q("SELECT candidate_hash, correct FROM episodes WHERE run_id = ? "
                         "ORDER BY episode", (run_id,)):
            out.setdefault(r["candidate_hash"], bool(r["correct"]))
        return out

    # ---- searches (rbengine.search) ---------------------------------------
    def _has(self, table: str) -> bool:
        """A version-1 store opened read-only has no search tables: no searches."""
        return bool(self._q("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                            (table,)))

    def create_search(self, config: dict[str, Any], space: str, all_: bool, total: int,
                      levels: dict[str, Any],
                      name: str | None = None) -> int:
        with self._write():
            cur = self.db.execute(
                "INSERT INTO searches (name, created, updated, status, target, config, space, "
                "\"all\", total, levels, verified, correct_candidates, incorrect_candidates, seconds, "
                "pid, host) "
                "VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?)",
                (name, _now(), _now(), config["target"], _dumps(config), space, int(all_),
                 total, _dumps(levels), os.getpid(), socket.gethostname()))
            return cast(int, cur.lastrowid)  # set by the INSERT

    def search(self, search_id: int | str) -> Row:
        """A search by id (``3`` or ``s3``) or name."""
        text = str(search_id)
        rows: list[Row] = []
        if self._has("searches"):
            digits = text[1:] if text[:1] in ("s", "S") else text
            if digits.isdigit():
                rows = self._q("SELECT * FROM searches WHERE id = ?", (int(digits),))
            if not rows:
                rows = self._q("SELECT * FROM searches WHERE name = ? ORDER BY id DESC", (text,))
        rows = self._renamed("searches", rows)
        if not rows:
            raise StoreError(f"no search {text!r} in {self.path}")
        return rows[0]

    def searches(self) -> list[Row]:
        return self._renamed("searches", self._q("SELECT * FROM searches ORDER BY id")) \
            if self._has("searches") else []

    def update_search(self, search_id: int, **fields: Any) -> None:
        fields["updated"] = _now()
        cols = ", ".join(f'"{k}" = ?' for k in fields)
        with self._write():
            self.db.execute(f"UPDATE searches SET {cols} WHERE id = ?",
                            (*fields.values(), search_id))

    def search_known(self, search_id: int) -> dict[str, bool]:
        """The candidates a search has recorded: hash -> correct."""
        if not self._has("search_verdicts"):
            return {}
        return {r["candidate_hash"]: bool(r["correct"]) for r in self._q(
            "SELECT candidate_hash, correct FROM search_verdicts WHERE search_id = ?",
            (search_id,))}

    def search_histogram(self, search_id: int) -> dict[float, tuple[int, int]]:
        """Total reward -> (correct, incorrect) of the candidates verified so far."""
        out: dict[float, list[int]] = {}
        if self._has("search_verdicts"):
            for r in self._q("SELECT reward, correct, count(*) AS k FROM search_verdicts "
                             "WHERE search_id = ? GROUP BY reward, correct", (search_id,)):
                out.setdefault(r["reward"], [0, 0])[0 if r["correct"] else 1] += r["k"]
        return {k: (v[0], v[1]) for k, v in out.items()}

    def record_search(self, search_id: int, *, rows: Sequence[tuple[str, float, bool]],
                      candidates: dict[str, Candidate], verdicts: Sequence[VerdictRow],
                      fields: dict[str, Any]) -> None:
        """One completed batch of a search, in one transaction: its candidates'
        verdicts in the shared verdict cache (`verdicts`: rows made by
        ``verdict_row``), the search's own rows (hash, total reward, correct)
        and its counters. A kill leaves the previous batch or this one."""
        conn = self.db.conn
        with self._write():
            self.put_candidates(candidates)
            self.put_verdict_rows(verdicts)
            if rows:
                conn.executemany(
                    "INSERT OR REPLACE INTO search_verdicts (search_id, candidate_hash, reward, "
                    "correct) VALUES (?, ?, ?, ?)",
                    [(search_id, h, r, int(ok)) for h, r, ok in rows])
            fields = dict(fields, updated=_now())
            cols = ", ".join(f'"{k}" = ?' for k in fields)
            conn.execute(f"UPDATE searches SET {cols} WHERE id = ?", (*fields.values(), search_id))

    def delete_run(self, run_id: int) -> None:
        with self._write():
            for table, col in (("episodes", "run_id"), ("qtable", "run_id"),
                               ("dead_states", "run_id"), ("checkpoints", "run_id"),
                               ("learner_state", "run_id"), ("run_checks", "run_id"),
                               ("runs", "id")):
                if not self._has(table):
                    continue
                self.db.execute(f"DELETE FROM {table} WHERE {col} = ?", (run_id,))

    # ---- a finished run's report checks (rbengine.run_checks) --------------
    def put_run_checks(self, run_id: int, candidate_hash: str | None,
                       checks: dict[str, Any]) -> None:
        with self._write():
            self.db.execute("INSERT OR REPLACE INTO run_checks (run_id, candidate_hash, checks, "
                            "created) VALUES (?, ?, ?, ?)",
                            (run_id, candidate_hash, _dumps(checks), _now()))

    def run_checks(self, run_id: int) -> dict[str, Any] | None:
        """The checks recorded for `run_id` (None: none, or a store older than them)."""
        if not self._has("run_checks"):
            return None
        rows = self._q("SELECT checks FROM run_checks WHERE run_id = ?", (run_id,))
        return json.loads(rows[0]["checks"]) if rows else None
