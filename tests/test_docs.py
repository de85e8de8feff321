"""Every document the project points to exists: in code, docstrings, templates
(and so in every exported Promela model), help pages and docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("rbengine", "rbtui", "tests", "docs", "bench", "examples", ".ci")
SUFFIXES = {".py", ".md", ".j2", ".tcss", ".txt", ".toml", ".sh", ""}
# a path-like word ending in .md (README.md, docs/x.md, ../y.md), outside URLs
REFERENCE = re.compile(r"(?<![\w/.:-])((?:\.\.?/)?[\w.-]+(?:/[\w.-]+)*\.md)\b")


def _files() -> list[Path]:
    out = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "setup.sh"]
    for d in SOURCES:
        for p in (ROOT / d).rglob("*"):
            if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts \
                    and "__snapshots__" not in p.parts and p != Path(__file__).resolve():
                out.append(p)
    return out


def _exists(ref: str, where: Path) -> bool:
    return any((base / ref).exists() for base in (where.parent, ROOT, ROOT / "docs"))


def test_no_file_points_to_a_missing_document():
    missing = []
    for p in _files():
        text = p.read_text(encoding="utf-8", errors="replace")
        for m in REFERENCE.finditer(text):
            if not _exists(m.group(1), p):
                line = text.count("\n", 0, m.start()) + 1
                missing.append(f"{p.relative_to(ROOT)}:{line}: {m.group(1)}")
    assert not missing, "\n".join(missing)


def test_the_reference_check_catches_a_missing_document(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text('"""See SEMANTICS.md §5 and docs/semantics.md."""\n')
    refs = [m.group(1) for m in REFERENCE.finditer(bad.read_text())]
    assert refs == ["SEMANTICS.md", "docs/semantics.md"]
    assert not _exists("SEMANTICS.md", bad) and _exists("docs/semantics.md", bad)


def test_exported_promela_points_to_the_semantics_document():
    proc = subprocess.run([sys.executable, "-m", "rbtui", "promela", str(ROOT / "examples" / "alg2.txt"),
                           "--only", "crash"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    refs = set(REFERENCE.findall(proc.stdout))
    assert "docs/semantics.md" in refs
    assert all((ROOT / r).exists() for r in refs), refs


def test_semantics_document_has_the_sections_the_code_cites():
    text = (ROOT / "docs" / "semantics.md").read_text()
    for n in range(1, 7):
        assert re.search(rf"^## §{n} ", text, re.M), f"§{n}"
    cited = set()
    for p in _files():
        if p.suffix in {".py", ".j2"}:
            for m in re.finditer(r"semantics\.md ((?:§\d(?:[-/, ]+§?\d)*)?)", p.read_text()):
                cited |= set(re.findall(r"\d", m.group(1)))
    assert cited and cited <= {str(n) for n in range(1, 7)}


def test_learner_doc_says_episodes_on_resume_is_the_new_total():
    """Run.resume takes `episodes` as the new plan (tests/test_cli_runs.py
    resumes a paused run with its episodes done + 40 and checks it ends there)."""
    text = (ROOT / "docs" / "learner.md").read_text(encoding="utf-8")
    usage = re.findall(r"rbtui run --resume RUN \[--episodes (\w+)\]", text)
    assert usage == ["TOTAL"], usage
    assert "new total" in text
    help_text = subprocess.run([sys.executable, "-m", "rbtui", "run", "--help"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60).stdout
    assert "with --resume: the new total" in " ".join(help_text.split())


def _documented_columns(text: str) -> dict[str, set[str]]:
    """docs/store.md: `### table` then a table whose first cells name columns."""
    out: dict[str, set[str]] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        name, body = section.split("\n", 1)
        cols: set[str] = set()
        for line in body.splitlines():
            if line.startswith("| `"):
                cols.update(re.findall(r"`(\w+)`", line.split("|")[1]))
        out[name.strip()] = cols
    return out


def test_store_doc_describes_every_table_and_column(tmp_path):
    import sqlite3

    from rbengine.store import FOREIGN_KEYS, SCHEMA_VERSION, Store
    with Store(tmp_path / "s.sqlite"):
        pass
    conn = sqlite3.connect(tmp_path / "s.sqlite")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    actual = {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    text = (ROOT / "docs" / "store.md").read_text(encoding="utf-8")
    assert _documented_columns(text) == actual
    assert f"`SCHEMA_VERSION` {SCHEMA_VERSION}" in text
    assert re.search(rf"^\| {SCHEMA_VERSION} \|", text, re.M), "no line for the current version"
    for table, keys in FOREIGN_KEYS.items():
        for column, other, other_column in keys:
            assert f"`{table}.{column}`" in text and f"`{other}.{other_column}`" in text
