#!/usr/bin/env python3
"""Regenerates docs/errors.md: every stable error id raised in include/attrib, with its
exception type, header and the start of its message, then the table of the misuse suite's
cases (tests/misuse/*.cpp, calls misuse<Type>("what", "attrib.<id>", ...)). Everything from the
line MARKER to the end of docs/errors.md is hand-written and kept as it is.
Run: python3 tools/list_errors.py"""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
MARKER = "<!-- hand-written below; tools/list_errors.py keeps everything after this line -->"
pattern = re.compile(r'raise<(\w+)>\(\s*"([a-z]+\.[0-9]+)",\s*(.*?)\);', re.S)
# The ONNX importer raises through fail("io.NNN", where, ...), an IoError naming file and node.
onnx_fail = re.compile(r'\bfail\(\s*"(io\.[0-9]+)",\s*\w+,\s*(.*?)\);', re.S)
rows = {}
# The attrib program's own ids (apps/attrib, raised through cli::usage / cli::fail).
cli_raise = re.compile(r'\b(usage|fail)\(\s*"(cli\.[0-9]+)",\s*(.*?)\);', re.S)
sources = sorted((root / "include" / "attrib").rglob("*.hpp"))
sources += sorted((root / "apps").rglob("*.[ch]pp"))
for path in sources:
    text = path.read_text()
    found = [(m.group(1), m.group(2), m.group(3)) for m in pattern.finditer(text)]
    found += [("IoError", m.group(1), m.group(2)) for m in onnx_fail.finditer(text)]
    found += [("ArgumentError" if m.group(1) == "usage" else "IoError", m.group(2), m.group(3))
              for m in cli_raise.finditer(text)]
    for kind, ident, args in found:
        literals = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        gist = " … ".join(s.strip() for s in literals if s.strip())[:110]
        where = path.relative_to(root / "include") if "include" in path.parts else path.relative_to(root)
        rows.setdefault(ident, (kind, str(where), gist))

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

case = re.compile(r'misuse<(\w+)>\(\s*"((?:[^"\\]|\\.)*)",\s*"attrib\.([a-z]+\.[0-9]+)"', re.S)
cases = []
for path in sorted((root / "tests" / "misuse").glob("*.cpp")):
    for m in case.finditer(path.read_text()):
        cases.append((m.group(2), m.group(1), m.group(3)))
unknown = sorted({c[2] for c in cases if c[2] not in rows})
if unknown:
    raise SystemExit(f"misuse cases expect ids no header raises: {unknown}")
lines += ["", "## Misuse suite", "",
          f"`tests/misuse/` (executable `test_misuse`, {len(cases)} cases) drives every public entry with",
          "what careless callers and hostile files pass; each case requires exactly this exception type",
          "and id (generated from the `misuse<Type>(\"what\", \"id\", ...)` calls).", "",
          "| misuse | exception | id |", "|---|---|---|"]
for what, kind, ident in cases:
    what = what.replace("|", "\\|")
    lines.append(f"| {what} | {kind} | `attrib.{ident}` |")

doc = root / "docs" / "errors.md"
old = doc.read_text() if doc.exists() else ""
tail = old[old.index(MARKER):] if MARKER in old else MARKER + "\n"
doc.write_text("\n".join(lines) + "\n\n" + tail)
print(f"{len(rows)} ids, {len(cases)} misuse cases")
