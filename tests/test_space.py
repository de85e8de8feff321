"""The search space the heuristics allow: its size and what is in it."""

from __future__ import annotations

from rbengine import space
from rbengine.candidate import Candidate
from rbengine.config import HeuristicsConfig, RunConfig
from rbengine.state import DONE, State
from rbengine.vocabulary import PAPER, SOUND

BRACHA_CLASS = Candidate.loads(
    "broadcast: send_all type0\nreceive: send_all type1 if type0 from origin; send_all type2 if "
    "type1 from (N+F)/2; send_all type2 if type2 from F+1; deliver if type2 from N-F")


def brute_force(config: RunConfig) -> int:
    """Every order of choices, no sharing of states: the finals' distinct keys."""
    heur = space.heuristics(config)
    out = set()

    def walk(s: State) -> None:
        if s.phase == DONE:
            out.add(s.key)
            return
        for a in heur.filter(s).allowed:
            walk(s.add(a, heur.stop))
    walk(State())
    return len(out)


def test_count_matches_a_brute_force_on_small_spaces():
    for vocab, mx in (({"types": 1, "tokens": ["0", "1", "F+1"]}, 3),
                      ({"types": 2, "tokens": ["0", "F+1"]}, 3)):
        cfg = RunConfig(target="crash", vocabulary=vocab,
                        heuristics=HeuristicsConfig(max_actions=mx))
        n = space.count(cfg)
        assert n == brute_force(cfg) and n > 10, (vocab, n)


def test_the_paper_space_is_unchanged_and_sound_allows_bracha_class():
    assert PAPER.max_actions == 4 and PAPER.max_types == 2
    assert SOUND.max_actions == 5 and SOUND.max_types == 3
    assert space.count(RunConfig(target="byzantine")) == 20460  # bench/results assume it
    assert space.contains(RunConfig(target="byzantine", vocabulary="sound"), BRACHA_CLASS)
    assert not space.contains(RunConfig(target="byzantine"), BRACHA_CLASS)
    # an explicit GH6 maximum still wins over the vocabulary's
    four = RunConfig(target="byzantine", vocabulary="sound",
                     heuristics=HeuristicsConfig(max_actions=4))
    assert not space.contains(four, BRACHA_CLASS)


def test_a_run_records_the_maxima_it_used(tmp_path):
    import json

    from rbengine.run import Run
    from rbengine.store import Store
    with Store(tmp_path / "s.sqlite") as st:
        r = Run.start(st, RunConfig(target="byzantine", vocabulary="sound", episodes=0, seed=1))
        h = json.loads(st.run(r.id)["config"])["heuristics"]
    assert h["GH6"]["max"] == 5 and h["GH10"]["max_types"] == 3


def test_a_large_space_is_kept_on_disk_and_read_back_whole(tmp_path, monkeypatch):
    """Space.of: enumerated once, then read from the space cache; a damaged
    file is enumerated again and rewritten; a small space is not kept."""
    monkeypatch.setenv("RBTUI_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(space, "CACHE_FROM", 1000)
    cfg = RunConfig(target="crash")
    fresh = space.Space(cfg)
    first = space.Space.of(cfg)
    files = list((tmp_path / "spaces").glob("*.bin"))
    assert len(files) == 1 and first._levels == fresh._levels
    again = space.Space.of(cfg)
    assert again._levels == fresh._levels and len(again) == 20460
    assert [s.key for _, s in again] == [s.key for _, s in fresh]  # the same cost order
    data = files[0].read_bytes()
    files[0].write_bytes(data[:-3])  # cut short: not read, enumerated and written again
    assert space.Space.of(cfg)._levels == fresh._levels
    assert files[0].read_bytes() == data
    files[0].write_bytes(b"junk")
    assert space.Space.of(cfg)._levels == fresh._levels
    small = RunConfig(target="crash", heuristics=HeuristicsConfig(max_actions=3))
    assert len(space.Space.of(small)) < 1000  # below CACHE_FROM: not kept
    assert len(list((tmp_path / "spaces").glob("*.bin"))) == 1
