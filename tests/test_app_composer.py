"""Composer: build the paper's Algorithm 3 by hand and verify it with the real
built-in oracle in a worker; cancel, load/save, errors."""

from __future__ import annotations

import json

from app_helpers import SIZE, RecordingApp, run, send_key, wait_until
from textual.widgets import DataTable, Input, Select, Static, TextArea
from textual.worker import WorkerCancelled

from rbengine.candidate import Candidate

ALG3 = ("broadcast: send_all type0\n"
        "receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2; "
        "send_all type1 if type1 from F+1")


def status(screen) -> str:
    return str(screen.query_one("#verify-status", Static).render())


async def verify(pilot, screen, scope, mode, n, attacker="full"):
    screen.query_one("#verify-scope", Select).value = scope
    screen.query_one("#verify-mode", Select).value = mode
    screen.query_one("#verify-n", Input).value = str(n)
    screen.query_one("#verify-attacker", Select).value = attacker
    screen.query_one("#verify-backend", Select).value = "builtin"
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: not screen.verifying, what="the verdict")
    return screen.last_verdict


def test_compose_alg3_from_lists_and_notation_then_verify(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            # the broadcast handler from the lists ...
            screen.query_one("#pick-handler", Select).value = "broadcast"
            screen.query_one("#pick-logic", Select).value = "send_all"
            screen.query_one("#pick-send-type", Select).value = 0
            screen.query_one("#pick-threshold", Select).value = "0"
            await pilot.click("#add-action")
            await pilot.pause()
            assert screen.query_one("#broadcast-actions", DataTable).row_count == 1
            # ... the receive handler typed in the compact notation
            text = screen.query_one("#notation", TextArea)
            text.text = ALG3
            await pilot.pause()
            assert screen.candidate() == Candidate.loads(ALG3)
            assert screen.query_one("#receive-actions", DataTable).row_count == 3
            assert "N^2 + N" in str(screen.query_one("#metrics", Static).render())

            verdicts = {}
            for key, (scope, mode, n, att) in {
                "none3": ("single", "none", 3, "full"),
                "crash3": ("single", "crash", 3, "full"),
                "crash4": ("single", "crash", 4, "full"),
                "byz-same": ("single", "byzantine", 4, "same-value"),
                "byz-full": ("single", "byzantine", 4, "full"),
                "target-crash": ("target", "crash", 3, "full"),
            }.items():
                verdicts[key] = await verify(pilot, screen, scope, mode, n, att)
            # docs/semantics.md §6: Alg. 3 is correct with no failures, incorrect (validity)
            # with crashes at N=3, correct at N=4 and against the same-value attacker
            assert verdicts["none3"].correct
            assert not verdicts["crash3"].correct and verdicts["crash3"].failed.property == "validity"
            assert verdicts["crash4"].correct
            assert verdicts["byz-same"].correct
            assert not verdicts["byz-full"].correct
            assert [c.mode for c in verdicts["target-crash"].checks] == ["none", "crash", "crash"]
            assert "INCORRECT" in status(screen)
            assert screen.query_one("#checks", DataTable).row_count == 3
            assert app.errors() == []
    run(scenario())


def test_remove_action_and_parse_error(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            screen.query_one("#notation", TextArea).text = ALG3
            await pilot.pause()
            table = screen.query_one("#receive-actions", DataTable)
            table.focus()
            table.move_cursor(row=1)
            await pilot.press("delete")
            assert len(screen.candidate().receive) == 2
            assert "deliver" not in screen.query_one("#notation", TextArea).text
            screen.query_one("#notation", TextArea).text = "receive: deliver if type1 from 7"
            await pilot.pause()
            assert "unknown threshold" in str(screen.query_one("#notation-error", Static).render())
            assert len(screen.candidate().receive) == 2  # the last good candidate stays
    run(scenario())


def test_escape_cancels_a_verification_in_flight(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            screen.query_one("#notation", TextArea).text = ALG3
            screen.query_one("#verify-mode", Select).value = "crash"
            screen.query_one("#verify-backend", Select).value = "reference"  # slow: ~1.5 s
            await pilot.pause()
            send_key(app, "ctrl+r")
            await wait_until(pilot, lambda: screen.verifying, 2, "the verification to start")
            send_key(app, "escape")
            await wait_until(pilot, lambda: not screen.verifying, 0.5, "Escape to cancel")
            assert "cancelled" in status(screen)
            try:
                await app.workers.wait_for_complete()
            except WorkerCancelled:  # the cancelled verification may end as cancelled
                pass
            await pilot.pause()
            assert screen.last_verdict is None  # the late result was not taken
            assert "cancelled" in status(screen)
    run(scenario())


def test_load_save_and_bad_file(tmp_path):
    async def scenario():
        good = tmp_path / "alg3.json"
        Candidate.loads(ALG3).save(good)
        bad = tmp_path / "bad.json"
        bad.write_text('{"broadcast": [["send_all", 0, 0, "0"]], "receive": [["shout", 1, 0, "1"]]}')
        saved = tmp_path / "saved.json"
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            for path in (bad, tmp_path / "missing.json"):
                await pilot.press("ctrl+o")
                app.screen.query_one("#path-input", Input).value = str(path)
                await pilot.press("enter")
                await pilot.pause()
            assert len(app.errors()) == 2 and "unknown logic" in app.errors()[0]
            assert app.screen is screen and screen.candidate() == Candidate()
            await pilot.press("ctrl+o")
            app.screen.query_one("#path-input", Input).value = str(good)
            await pilot.press("enter")
            await pilot.pause()
            assert screen.candidate() == Candidate.loads(ALG3)
            await pilot.press("ctrl+s")
            app.screen.query_one("#path-input", Input).value = str(saved)
            await pilot.press("enter")
            await pilot.pause()
            assert Candidate.from_json(json.loads(saved.read_text())) == Candidate.loads(ALG3)
    run(scenario())


def test_a_result_always_belongs_to_what_is_on_screen(tmp_path):
    async def scenario():
        app = RecordingApp(db_path=tmp_path / "store.sqlite", start="composer")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            checks = screen.query_one("#checks", DataTable)
            screen.open_example("bracha")
            await pilot.pause()
            v = await verify(pilot, screen, "single", "none", 3)
            assert v.correct and "CORRECT" in status(screen) and checks.row_count > 0
            # another candidate (Ctrl+N: empty): the verdict is marked stale, the table cleared
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert "stale" in status(screen) and checks.row_count == 0
            assert not screen.result_is_current()
            await pilot.press("ctrl+g")
            assert app.current_mode == "composer"
            assert any("stale" in m for _s, m in app.notes)
            # back to the verified candidate and settings: current again
            screen.open_example("bracha")
            await pilot.pause()
            assert "stale" not in status(screen) and checks.row_count > 0
            # a setting changes: stale
            screen.query_one("#verify-n", Input).value = "4"
            await pilot.pause()
            assert "stale" in status(screen) and checks.row_count == 0
            screen.query_one("#verify-n", Input).value = "3"
            await pilot.pause()
            assert "stale" not in status(screen)
            # invalid notation: stale, and Ctrl+R refuses instead of verifying the last valid one
            screen.query_one("#notation", TextArea).text = "receive: deliver if type1 from 7"
            await pilot.pause()
            assert "stale" in status(screen)
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert not screen.verifying
            assert any("does not parse" in e for e in app.errors())
            # a failed verification leaves no result behind
            screen.open_example("alg1")
            screen.query_one("#verify-n", Input).value = "1"
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: not screen.verifying, what="the failure")
            assert screen.last_verdict is None and checks.row_count == 0
            assert "no verdict" in status(screen)
    run(scenario())
