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
