"""Candidates: vocabulary, JSON (docs/semantics.md §6), notation, identity, errors, rendering."""

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rbengine.action import STOP_ACTION, Action
from rbengine.candidate import Candidate
from rbengine.errors import CandidateError
from rbengine.notation import format_candidate, latex, parse, pseudo
from rbengine.vocabulary import PAPER, SOUND, get

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# The example of docs/semantics.md §6, verbatim.
SECTION6 = """{"broadcast": [["send_all", 0, 0, "0"], ["stop", null, 0, "0"]],
 "receive":   [["send_all", 1, 0, "1"], ["deliver", null, 1, "(N+F)/2"],
               ["send_all", 1, 1, "F+1"], ["stop", null, 0, "0"]]}"""

ALG3_TEXT = ("broadcast: send_all type0\n"
             "receive: send_all type1 if type0 from 1; deliver if type1 from (N+F)/2; "
             "send_all type1 if type1 from F+1")

#: Pinned: a change here means every stored verdict and cache key changes too.
ALG3_HASH = "7170c751f8b643cf"

ALG3 = Candidate(
    (Action("send_all", 0, 0, "0"),),
    (Action("send_all", 1, 0, "1"), Action("deliver", None, 1, "(N+F)/2"),
     Action("send_all", 1, 1, "F+1")),
)


# ---- vocabulary -----------------------------------------------------------------

def test_paper_vocabulary_has_the_64_actions_of_table_2():
    acts = PAPER.actions()
    assert len(acts) == 64 and len(set(acts)) == 64
    assert acts[-1] == STOP_ACTION
    assert len(PAPER.conditions()) == 9
    sends = [a for a in acts if a.is_send]
    assert len(sends) == 54
    assert sum(a.logic == "deliver" for a in acts) == 9
    assert {a.send_type for a in sends} == {0, 1}
    assert {a.threshold for a in acts} == {"0", "1", "F+1", "(N+F)/2", "N-F"}
    # token 0 is type-agnostic: one condition, not one per type
    assert [c for c in PAPER.conditions() if c[1] == "0"] == [(0, "0")]


def test_sound_vocabulary_counts():
    # T = 3, six tokens: 1 + 5*3 = 16 conditions; 3 sends * 3 types * 16 + 16 delivers + STOP
    assert len(SOUND.conditions()) == 16
    acts = SOUND.actions()
    assert len(acts) == 3 * 3 * 16 + 16 + 1 == 161
    assert len(set(acts)) == len(acts)
    assert any(a.threshold == "origin" for a in acts)


def test_vocabulary_lookup():
    assert get("paper") is PAPER
    custom = get({"types": 2, "tokens": ["0", "f+1"]})
    assert custom.tokens == ("0", "F+1") and len(custom.actions()) == 3 * 2 * 3 + 3 + 1
    with pytest.raises(CandidateError, match="unknown vocabulary"):
        get("nope")
    with pytest.raises(CandidateError):
        get({"types": 2, "tokens": ["3F"]})


# ---- JSON -------------------------------------------------------------------------

def test_section6_example_is_alg3():
    c = Candidate.loads(SECTION6)
    assert c == ALG3
    assert c.broadcast == ALG3.broadcast and c.receive == ALG3.receive  # order kept
    assert Candidate.load(EXAMPLES / "alg3.json") == ALG3


def test_json_round_trip():
    for c in (ALG3, Candidate(), Candidate.loads("broadcast: send_myself type0\nreceive: deliver")):
        d = c.to_json()
        assert d["broadcast"][-1] == ["stop", None, 0, "0"]  # §6 writes STOP last
        again = Candidate.from_json(json.loads(json.dumps(d)))
        assert again.broadcast == c.broadcast and again.receive == c.receive
        assert Candidate.loads(c.dumps()) == c


def test_save_and_load(tmp_path):
    p = tmp_path / "c.json"
    ALG3.save(p)
    assert Candidate.load(p) == ALG3
    assert json.loads(p.read_text())["receive"][1] == ["deliver", None, 1, "(N+F)/2"]


def test_json_accepts_people_spellings():
    c = Candidate.loads('{"receive": [["Deliver", null, "type1", "(N + F)/2"], ["send_to_all", 1, 0, 1]]}')
    assert c == Candidate((), (Action("deliver", None, 1, "(N+F)/2"), Action("send_all", 1, 0, "1")))


# ---- notation ------------------------------------------------------------------

def test_notation_round_trip():
    c = parse(ALG3_TEXT)
    assert c == ALG3
    text = c.notation()
    assert text == ALG3_TEXT
    assert parse(text) == c and parse(text).receive == c.receive


def test_notation_and_json_agree():
    assert Candidate.loads(ALG3.notation()) == Candidate.loads(SECTION6)
    assert Candidate.from_json(parse(ALG3_TEXT).to_json()).notation() == ALG3_TEXT
    for name in ("alg1", "alg2", "alg3", "fig3", "bracha"):
        path = EXAMPLES / f"{name}.txt"
        c = Candidate.load(path)
        assert Candidate.loads(c.dumps()) == c
        assert Candidate.loads(c.notation()) == c


def test_notation_random_round_trip():
    rng = random.Random(7)
    acts = [a for a in SOUND.actions() if not a.is_stop]
    for _ in range(200):
        c = Candidate(tuple(rng.choices(acts, k=rng.randint(0, 4))),
                      tuple(rng.choices(acts, k=rng.randint(0, 5))))
        for text in (c.notation(), format_candidate(c, " | ")):
            back = parse(text)
            assert back.broadcast == c.broadcast and back.receive == c.receive
        back = Candidate.loads(json.dumps(c.to_json()))
        assert back.broadcast == c.broadcast and back.receive == c.receive


def test_notation_is_forgiving_about_spelling():
    c = parse("# a comment\nBroadcast: SEND_ALL TYPE0 ; stop\n"
              "receive : send_all type1 if type0 from 1 ; deliver if type1 from (N + F)/2;"
              " send_all type1 if type1 from f+1")
    assert c == ALG3
    assert parse("broadcast: send_all type0 | receive: deliver if 0") == \
        parse("broadcast: send_all type0\nreceive: deliver if type1 from 0")
    assert parse("receive: deliver").broadcast == ()


# ---- identity ------------------------------------------------------------------

def test_canonical_form_ignores_order_keeps_multiplicity_excludes_stop():
    shuffled = Candidate(ALG3.broadcast, tuple(reversed(ALG3.receive)))
    assert shuffled == ALG3 and hash(shuffled) == hash(ALG3)
    assert shuffled.key() == ALG3.key()
    assert shuffled.canonical().receive == ALG3.canonical().receive
    doubled = ALG3.with_action("receive", ALG3.receive[0])
    assert doubled != ALG3 and doubled.key() != ALG3.key()
    with_stop = Candidate.loads(SECTION6)
    assert "stop" not in with_stop.key()
    assert all(not a.is_stop for a in with_stop.broadcast + with_stop.receive)
    # the same action in another handler is another candidate
    moved = Candidate(ALG3.broadcast + ALG3.receive[:1], ALG3.receive[1:])
    assert moved != ALG3


def test_content_hash_is_pinned_and_order_independent():
    assert ALG3.content_hash() == ALG3_HASH
    assert Candidate.loads(SECTION6).content_hash() == ALG3_HASH
    rng = random.Random(1)
    for _ in range(10):
        rec = list(ALG3.receive)
        rng.shuffle(rec)
        assert Candidate(ALG3.broadcast, tuple(rec)).content_hash() == ALG3_HASH
    assert len({Candidate.load(p).content_hash() for p in EXAMPLES.glob("*.txt")}) == 5


def test_types():
    assert ALG3.types() == 2
    assert Candidate().types() == 1
    assert Candidate.load(EXAMPLES / "bracha.txt").types() == 3
    assert Candidate.load(EXAMPLES / "bracha.txt").uses_origin()


# ---- malformed input -------------------------------------------------------------

BAD = [
    ('{"broadcast": [["send_all", 0, 0, "0"]', "malformed JSON at line 1"),
    ('{"broadcast": [["send_all", 0, 0, "3F"]]}', "unknown threshold token '3F'"),
    ("broadcast: send_all type0 if type0 from 3F", "unknown threshold token '3F'"),
    ('{"broadcast": [["send_some", 0, 0, "0"]]}', "unknown logic 'send_some'"),
    ("receive: shout type1", "unknown logic 'shout'"),
    ('{"receive": [["stop", null, 0, "0"], ["deliver", null, 0, "0"]]}', "action after STOP"),
    ("receive: stop; deliver", "action after stop"),
    ('{"receive": [["deliver", null, 0]]}', "an action is [logic, send_type, cond_type, threshold]"),
    ('{"receive": [["deliver", null, 0, "0", 5]]}', "an action is"),
    ('{"receive": ["deliver"]}', "an action is"),
    ('{"broadcast": [["send_all", null, 0, "0"]]}', "send_all needs a message type"),
    ("broadcast: send_all", "send_all needs a message type"),
    ('{"receive": [["deliver", 1, 0, "0"]]}', "deliver takes no message type"),
    ('{"receive": [["send_all", 99, 0, "0"]]}', "bad send type 99"),
    ('{"receive": [["send_all", true, 0, "0"]]}', "bad send type True"),
    ('{"receive": [["deliver", null, -1, "1"]]}', "bad condition type -1"),
    ('{"receive": {}}', "'receive' must be a list"),
    ('{"recieve": []}', "unknown key(s) in candidate: recieve"),
    ("[1, 2]", "a candidate is a JSON object"),
    ("hello world", "expected 'broadcast: ...'"),
    ("", "expected 'broadcast: ...'"),
    ("receive: deliver\nreceive: deliver", "given twice"),
    ("receive: deliver if type1 since 2", "cannot read action"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m for _, m in BAD])
def test_malformed_input_raises_readable_candidate_error(text, message):
    with pytest.raises(CandidateError) as info:
        Candidate.loads(text)
    msg = str(info.value)
    assert message in msg
    assert "\n" not in msg and len(msg) < 300
    assert "Traceback" not in msg


def test_load_names_the_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"receive": [["deliver", null, 1, "X"]]}')
    with pytest.raises(CandidateError, match=r"bad\.json: receive\[0\]: unknown threshold token 'X'"):
        Candidate.load(p)
    with pytest.raises(CandidateError, match="cannot read"):
        Candidate.load(tmp_path / "missing.json")
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CandidateError, match="cannot read"):
        Candidate.load(p)


# ---- rendering ------------------------------------------------------------------

def test_pseudo_code_has_the_papers_lines_for_alg3():
    text = pseudo(ALG3)
    lines = [line.split(":", 1)[1].strip() for line in text.splitlines()]
    assert lines == [
        "when RB-Broadcast(m) do:",
        "SEND to all(<type0, m>) if received (<type0, m>) from 0 distinct parties and not already sent;",
        "STOP if received (<type0, m>) from 0 distinct parties;",
        "when receive(m) do:",
        "SEND to all(<type1, m>) if received (<type0, m>) from 1 distinct party and not already sent;",
        "DELIVER(<m>) if received (<type1, m>) from (N+F)/2 distinct parties and not already delivered;",
        "SEND to all(<type1, m>) if received (<type1, m>) from F+1 distinct parties and not already sent;",
        "STOP if received (<type0, m>) from 0 distinct parties;",
    ]
    assert text.splitlines()[0].startswith(" 1:") and text.splitlines()[-1].startswith(" 8:")


def _latex_packages(text: str) -> list[str]:
    """The packages the export's first line says it needs."""
    first = text.splitlines()[0]
    assert first.startswith("%"), first
    return re.findall(r"\\usepackage\{(\w+)\}", first)


def test_latex_rendering():
    text = latex(ALG3, caption="Alg. 3 & a_b")
    assert _latex_packages(text) == ["algorithm", "algpseudocode"]
    body = text.splitlines()[1:]
    assert body[0] == r"\begin{algorithm}" and body[-1] == r"\end{algorithm}"
    assert r"\caption{Alg. 3 \& a\_b}" in text
    assert r"SEND to all($\langle \mathit{type}_{1}, m \rangle$)" in text
    # thresholds are mathematics, and say how many senders they require
    assert r"from $\lfloor (N+F)/2 \rfloor + 1$ distinct parties" in text
    assert r"from $F+1$ distinct parties" in text and r"from $1$ distinct party" in text
    for line in body:
        assert line.count("$") % 2 == 0, line
        outside = re.sub(r"\$[^$]*\$", "", line)
        assert "<" not in outside and ">" not in outside and "/2" not in outside, line
    # only macros of LaTeX itself and of algorithm + algpseudocode (\State, not
    # algorithmic's \STATE)
    macros = set(re.findall(r"\\([A-Za-z]+)", "\n".join(body)))
    assert macros <= {"begin", "end", "caption", "State", "textbf", "quad", "langle", "rangle",
                      "mathit", "lfloor", "rfloor"}, macros


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_compiles_with_the_packages_it_names(tmp_path):
    for name in ("alg3.txt", "bracha.txt"):
        text = latex(Candidate.load(str(EXAMPLES / name)), caption="Alg_1 & 50%")
        found = subprocess.run(["kpsewhich", *(p + ".sty" for p in _latex_packages(text))],
                               capture_output=True, text=True)
        if len(found.stdout.split()) < len(_latex_packages(text)):
            pytest.skip("the LaTeX packages algorithm/algpseudocode are not installed")
        preamble = "".join(rf"\usepackage{{{p}}}" for p in _latex_packages(text))
        doc = tmp_path / "a.tex"
        doc.write_text(rf"\documentclass{{article}}{preamble}\begin{{document}}" + "\n" + text
                       + "\n" + r"\end{document}" + "\n")
        r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout[-2000:]
        assert (tmp_path / "a.pdf").stat().st_size > 0
