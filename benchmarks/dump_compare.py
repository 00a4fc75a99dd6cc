"""`python -m benchmarks.dump compare BEFORE AFTER`: two dumps, file by file, and the time
their slowest steps took.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from pathlib import Path

from benchmarks.dump_common import TIMINGS

# ---------------------------------------------------------------- compare


def files_under(root: Path) -> Iterator[str]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("_"):
            yield str(path.relative_to(root))


def first_difference(a: bytes, b: bytes) -> str:
    left = a.decode("utf-8", "replace").splitlines()
    right = b.decode("utf-8", "replace").splitlines()
    for n, (x, y) in enumerate(zip(left, right, strict=False), start=1):
        if x != y:
            col = next(
                (i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q),
                min(len(x), len(y)),
            )
            lo = max(0, col - 60)
            return (
                f"line {n}, column {col + 1}:\n"
                f"    before: {x[lo : lo + 200]!r}\n"
                f"    after:  {y[lo : lo + 200]!r}"
            )
    if len(left) != len(right):
        n = min(len(left), len(right)) + 1
        extra = left[n - 1] if len(left) > len(right) else right[n - 1]
        side = "before" if len(left) > len(right) else "after"
        count = max(len(left), len(right))
        return f"line {n}: only {side} has {count} lines; first extra {extra[:200]!r}"
    return "same lines, different bytes (line endings or a final newline)"


# What legitimately differs between two runs of the same code: the temporary folder and
# the size of an XLSX file (it carries its creation time; its values are compared instead).
VOLATILE = [
    (re.compile(rb"/tmp/cellbot-dump-[A-Za-z0-9_]+/"), b"<tmp>/"),
    (re.compile(rb"\.xlsx \([0-9]+ bytes\)"), b".xlsx (<n> bytes)"),
]


def stable(content: bytes) -> bytes:
    for pattern, replacement in VOLATILE:
        content = pattern.sub(replacement, content)
    return content


def compare(before: Path, after: Path, *, context: bool = False) -> int:
    names_a, names_b = set(files_under(before)), set(files_under(after))
    same = different = 0
    for name in sorted(names_a | names_b):
        if name not in names_b:
            print(f"MISSING after   {name}")
            different += 1
            continue
        if name not in names_a:
            print(f"MISSING before  {name}")
            different += 1
            continue
        a, b = stable((before / name).read_bytes()), stable((after / name).read_bytes())
        if a == b:
            same += 1
            if context:
                print(f"identical       {name}")
            continue
        different += 1
        print(f"DIFFERENT       {name}: {first_difference(a, b)}")
        if context:
            diff = difflib.unified_diff(
                a.decode("utf-8", "replace").splitlines(),
                b.decode("utf-8", "replace").splitlines(),
                "before",
                "after",
                lineterm="",
                n=1,
            )
            for line in list(diff)[:40]:
                print(f"    {line}")
    print(f"{same} identical, {different} different, of {len(names_a | names_b)} files")
    timing_a, timing_b = before / TIMINGS, after / TIMINGS
    if timing_a.exists() and timing_b.exists():
        ta, tb = json.loads(timing_a.read_text()), json.loads(timing_b.read_text())
        print("\nseconds (before → after) for the slowest steps:")
        for key in sorted(ta, key=lambda k: -ta[k])[:25]:
            if key in tb:
                print(f"  {ta[key]:8.2f} → {tb[key]:8.2f}  {key}")
    return 0 if different == 0 else 1
