"""rbengine has no user interface: importing all of it pulls in neither textual nor rbtui."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    import rbengine
    names = ["rbengine"]
    for info in pkgutil.walk_packages(rbengine.__path__, "rbengine."):
        names.append(info.name)
    for name in names:
        importlib.import_module(name)
    leaked = sorted(m for m in sys.modules
                    if m == "textual" or m.startswith("textual.")
                    or m == "rbtui" or m.startswith("rbtui."))
    print(json.dumps({"imported": names, "leaked": leaked}))
""")


def test_rbengine_imports_neither_textual_nor_rbtui():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "rbengine.candidate" in out["imported"]
    assert "rbengine.oracle" in out["imported"]
    assert out["leaked"] == [], f"rbengine pulls in {out['leaked']}"


def _imported_modules(path: Path) -> set[str]:
    import ast
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_no_engine_file_imports_the_ui_even_lazily():
    """The import contract read from the source: an import inside a function
    (never run by the test above) must not reach textual or rbtui either."""
    files = sorted((ROOT / "rbengine").rglob("*.py"))
    assert len(files) > 40
    bad = {str(f.relative_to(ROOT)): sorted(m for m in _imported_modules(f)
                                          if m.split(".")[0] in ("textual", "rbtui"))
           for f in files}
    assert {f: m for f, m in bad.items() if m} == {}


def test_architecture_map_names_every_engine_module():
    """ARCHITECTURE.md is the newcomer's map: every engine module (or its
    package) appears in it, and every path it names exists."""
    import re
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for f in sorted((ROOT / "rbengine").glob("*.py")):
        if f.name != "__init__.py":
            assert f"`{f.name}`" in text or f"{f.stem}.py" in text, f.name
    for sub in ("oracle/", "proof/", "atomic_commit/"):
        assert f"`{sub}`" in text, sub
    for path in re.findall(r"`((?:rbengine|rbtui|tests|docs|bench)/[\w/.]+?\.(?:py|md))`", text):
        assert (ROOT / path).exists(), path
    for link in re.findall(r"\]\(([\w/.-]+\.md)\)", text):
        assert (ROOT / link).exists(), link
