#!/usr/bin/env python3
"""Regenerates docs/errors.md: every stable error id raised in include/attrib, with its
exception type, header and the start of its message. Run: python3 tools/list_errors.py"""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
pattern = re.compile(r'raise<(\w+)>\(\s*"([a-z]+\.[0-9]+)",\s*(.*?)\);', re.S)
rows = {}
for path in sorted((root / "include" / "attrib").rglob("*.hpp")):
    text = path.read_text()
    for m in pattern.finditer(text):
        kind, ident, args = m.group(1), m.group(2), m.group(3)
        literals = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        gist = " … ".join(s.strip() for s in literals if s.strip())[:110]
        rows.setdefault(ident, (kind, str(path.relative_to(root / "include")), gist))

def key(ident):
    family, number = ident.split(".")
    return family, int(number)

lines = ["# Error ids", "",
         "Every check at a public entry throws a typed exception deriving from `attrib::Error`",
         "(`std::runtime_error`) whose message starts with a stable id `[attrib.<id>]`, then names",
         "the layer (kind and name) or file, what was seen and what was expected. The table is",
         "generated from the sources by `python3 tools/list_errors.py`.", "",
         "| id | exception | header | message (literal parts) |", "|---|---|---|---|"]
for ident in sorted(rows, key=key):
    kind, header, gist = rows[ident]
    gist = gist.replace("|", "\\|")
    lines.append(f"| `attrib.{ident}` | {kind} | {header} | {gist} |")
# Everything after the marker is hand-written (handler, policies, the misuse suite) and kept.
marker = "<!-- hand-written below; tools/list_errors.py keeps everything after this line -->"
doc = root / "docs" / "errors.md"
old = doc.read_text() if doc.exists() else ""
tail = old[old.index(marker):] if marker in old else marker + "\n"
doc.write_text("\n".join(lines) + "\n\n" + tail)
print(f"{len(rows)} ids")
