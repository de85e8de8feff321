"""Print pip constraints pinning every dependency of pyproject.toml at its
declared lower bound (``name>=X`` becomes ``name==X``), skipping those whose
environment marker excludes this Python. Standard library only."""

from __future__ import annotations

import re
import sys

LINE = re.compile(r'^\s*"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][^;",\s]*)\s*(?:;\s*([^"]*))?",?\s*(?:#.*)?$')  # noqa: E501
MARKER = re.compile(r"python_version\s*(<|>=)\s*'(\d+)\.(\d+)'")


def floors(pyproject: str) -> list[tuple[str, str]]:
    text = open(pyproject, encoding="utf-8").read()
    block = text.split("\ndependencies = [", 1)[1].split("\n]", 1)[0]
    out = []
    for line in block.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        name, version, marker = m.groups()
        if marker:
            mm = MARKER.fullmatch(marker.strip())
            if mm is None:
                raise SystemExit(f"floors.py: cannot read the marker of {line.strip()}")
            op, major, minor = mm.groups()
            below = sys.version_info[:2] < (int(major), int(minor))
            if below != (op == "<"):
                continue
        out.append((name, version))
    return out


if __name__ == "__main__":
    for name, version in floors(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml"):
        print(f"{name}=={version}")
