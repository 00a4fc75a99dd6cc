"""Parsing an organisation-tree file (CSV or YAML) into rows, without touching the database."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import yaml

from storage.models import UnitKind
from storage.textfile import UndecodableText, decode_text

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
KINDS = {k.value for k in UnitKind}
# Excel writes the list separator of the regional settings: ";" where "," is the decimal
# comma (Vietnamese among them), a tab for "Unicode Text".
SEPARATORS = (",", ";", "\t")
FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    kind: str
    parent: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    code: str
    reason: str


class OrgFileError(Exception):
    """The file as a whole cannot be read (not a CSV/YAML tree at all)."""


def _clean(value: object) -> str:
    return "" if value is None else str(value).strip()


def parse_org_bytes(data: bytes, *, fmt: str) -> list[UnitRow]:
    """Rows of a tree file as read from disk, in any encoding Excel writes."""
    try:
        text = decode_text(data)
    except UndecodableText as exc:
        raise OrgFileError(str(exc)) from None
    return parse_org_text(text, fmt=fmt)


def parse_org_text(text: str, *, fmt: str) -> list[UnitRow]:
    """Rows of a CSV (header: code,name,kind,parent) or YAML (a list of mappings) tree."""
    if fmt == "csv":
        try:
            return _parse_csv(text)
        except csv.Error as exc:
            raise OrgFileError(f"not a valid CSV file: {exc}") from None
    if fmt == "yaml":
        return _parse_yaml(text)
    raise OrgFileError(f"unknown format {fmt!r}: use .csv (or .tsv, .txt), .yaml or .yml")


def detect_separator(header: str) -> str:
    """The separator of a CSV file, from its header line (the one most used there)."""
    counts = [(header.count(sep), -i, sep) for i, sep in enumerate(SEPARATORS)]
    count, _, sep = max(counts)
    return sep if count else ","


def _parse_csv(text: str) -> list[UnitRow]:
    text = text.removeprefix("\ufeff")
    header = text.split("\n", 1)[0].rstrip("\r")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=detect_separator(header))
    if reader.fieldnames is None or not {"code", "name", "kind"} <= {
        (f or "").strip().lower() for f in reader.fieldnames
    }:
        raise OrgFileError(
            "the first line must be the header code,name,kind,parent (commas or semicolons), "
            f"not {header[:80]!r}"
        )
    rows = []
    for record in reader:
        normalized = {(k or "").strip().lower(): v for k, v in record.items()}
        rows.append(
            UnitRow(
                line=reader.line_num,
                code=_clean(normalized.get("code")),
                name=_clean(normalized.get("name")),
                kind=_clean(normalized.get("kind")).lower(),
                parent=_clean(normalized.get("parent")) or None,
            )
        )
    return rows


def _parse_yaml(text: str) -> list[UnitRow]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OrgFileError(f"not valid YAML: {exc}") from None
    if isinstance(data, dict) and "units" in data:
        data = data["units"]
    if not isinstance(data, list):
        raise OrgFileError("YAML must be a list of units (code, name, kind, parent)")
    rows = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append(UnitRow(index, "", "", "", None))
            continue
        rows.append(
            UnitRow(
                line=index,
                code=_clean(item.get("code")),
                name=_clean(item.get("name")),
                kind=_clean(item.get("kind")).lower(),
                parent=_clean(item.get("parent")) or None,
            )
        )
    return rows


def validate_rows(
    rows: list[UnitRow], existing_parents: dict[str, str | None]
) -> tuple[list[UnitRow], list[RowError]]:
    """Split rows into acceptable ones (in an order where parents come first) and errors.

    `existing_parents` maps every unit code already stored to its parent code, so that a
    row may hang under a stored unit and a cycle through stored units is detected.
    """
    errors: list[RowError] = []
    seen: dict[str, UnitRow] = {}
    for row in rows:
        if not CODE_PATTERN.match(row.code):
            errors.append(RowError(row.line, row.code, "bad code"))
        elif not row.name or len(row.name) > 200:
            errors.append(RowError(row.line, row.code, "missing or too long name"))
        elif row.kind not in KINDS:
            errors.append(RowError(row.line, row.code, f"bad kind {row.kind!r}"))
        elif row.code in seen:
            errors.append(RowError(row.line, row.code, "duplicate code"))
        elif row.parent == row.code:
            errors.append(RowError(row.line, row.code, "cycle"))
        elif row.kind != UnitKind.PROVINCE and row.parent is None:
            errors.append(RowError(row.line, row.code, "missing parent"))
        else:
            seen[row.code] = row

    parents = dict(existing_parents)
    parents.update({code: row.parent for code, row in seen.items()})
    accepted: dict[str, UnitRow] = {}
    rejected: set[str] = set()
    for code, row in seen.items():
        if row.parent is not None and row.parent not in parents:
            errors.append(RowError(row.line, code, f"unknown parent {row.parent!r}"))
            rejected.add(code)
            continue
        if _has_cycle(code, parents):
            errors.append(RowError(row.line, code, "cycle"))
            rejected.add(code)
            continue
        accepted[code] = row

    # A row under a rejected parent cannot be placed either.
    changed = True
    while changed:
        changed = False
        for code, row in list(accepted.items()):
            if row.parent in rejected:
                errors.append(RowError(row.line, code, f"parent {row.parent!r} was rejected"))
                rejected.add(code)
                del accepted[code]
                changed = True

    ordered = sorted(accepted.values(), key=lambda r: _depth(r.code, parents))
    errors.sort(key=lambda e: e.line)
    return ordered, errors


def _has_cycle(code: str, parents: dict[str, str | None]) -> bool:
    seen = {code}
    current = parents.get(code)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _depth(code: str, parents: dict[str, str | None]) -> int:
    depth = 0
    current = parents.get(code)
    while current is not None and depth < 64:
        depth += 1
        current = parents.get(current)
    return depth
