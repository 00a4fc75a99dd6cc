"""Parsing an organisation-tree file (CSV or YAML) into rows, without touching the database."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import yaml

from domain.orgtree import FILE_KINDS, Nesting, UnitKind, nesting_error, sort_error
from storage.textfile import UndecodableText, decode_text

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
KINDS = set(FILE_KINDS)
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
    sort: str | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    code: str
    reason: str
    # Set when the row breaks the tree's rules: a domain.orgtree.Nesting code that bot/
    # renders in the reader's language (`reason` is its English fallback).
    nesting: Nesting | None = None


# The kind and sort of each stored unit, by code: what a row may hang under.
StoredKinds = Mapping[str, tuple[str, str | None]]


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
    """Rows of a CSV (header: code,name,kind,parent[,sort]) or YAML (a list of mappings)."""
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
                sort=_clean(normalized.get("sort")).lower() or None,
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
                sort=_clean(item.get("sort")).lower() or None,
            )
        )
    return rows


def resolve_kind(row: UnitRow) -> tuple[UnitRow | None, str]:
    """The row with its file kind turned into (kind, sort), or None and why not."""
    if row.kind not in FILE_KINDS:
        return None, f"bad kind {row.kind!r}"
    kind, implied = FILE_KINDS[row.kind]
    if implied is not None and row.sort is not None and row.sort != implied:
        return None, f"kind {row.kind!r} and sort {row.sort!r} disagree"
    sort = implied or row.sort
    if sort_error(kind, sort) is not None:
        return None, f"bad sort {sort!r} for a {kind}"
    return replace(row, kind=str(kind), sort=sort and str(sort)), ""


def validate_rows(
    rows: list[UnitRow],
    existing_parents: dict[str, str | None],
    existing_kinds: StoredKinds | None = None,
) -> tuple[list[UnitRow], list[RowError]]:
    """Split rows into acceptable ones (in an order where parents come first) and errors.

    `existing_parents` maps every unit code already stored to its parent code, so that a
    row may hang under a stored unit and a cycle through stored units is detected;
    `existing_kinds` gives their kind and sort, so that nesting under them is checked too.
    Accepted rows come back with their kind and sort resolved (`commune` → grassroots,
    sort commune).
    """
    stored_kinds = existing_kinds or {}
    errors: list[RowError] = []
    seen: dict[str, UnitRow] = {}
    for row in rows:
        resolved, why = resolve_kind(row)
        if not CODE_PATTERN.match(row.code):
            errors.append(RowError(row.line, row.code, "bad code"))
        elif not row.name or len(row.name) > 200:
            errors.append(RowError(row.line, row.code, "missing or too long name"))
        elif resolved is None:
            errors.append(RowError(row.line, row.code, why))
        elif row.code in seen:
            errors.append(RowError(row.line, row.code, "duplicate code"))
        elif row.parent == row.code:
            errors.append(RowError(row.line, row.code, "cycle"))
        elif resolved.kind != UnitKind.PROVINCE and row.parent is None:
            root = Nesting.ROOT_NOT_PROVINCE
            errors.append(RowError(row.line, row.code, f"missing parent: {_ENGLISH[root]}", root))
        else:
            seen[row.code] = resolved

    parents = dict(existing_parents)
    parents.update({code: row.parent for code, row in seen.items()})
    kinds: dict[str, tuple[str, str | None]] = dict(stored_kinds)
    kinds.update({code: (row.kind, row.sort) for code, row in seen.items()})
    roots = {code for code, parent in existing_parents.items() if parent is None}
    accepted: dict[str, UnitRow] = {}
    rejected: set[str] = set()

    def refuse(row: UnitRow, reason: str, nesting: Nesting | None = None) -> None:
        errors.append(RowError(row.line, row.code, reason, nesting))
        rejected.add(row.code)

    for code, row in seen.items():
        if row.parent is not None and row.parent not in parents:
            refuse(row, f"unknown parent {row.parent!r}")
            continue
        if _has_cycle(code, parents):
            refuse(row, "cycle")
            continue
        problem = _nesting(row, kinds, roots)
        if problem is not None:
            refuse(row, _ENGLISH[problem], problem)
            continue
        if row.parent is None:
            roots.add(code)
        accepted[code] = row

    # A stored unit whose kind changes must still fit its stored children.
    children: dict[str, list[str]] = {}
    for code, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(code)
    for code, row in list(accepted.items()):
        if stored_kinds.get(code, (row.kind, row.sort)) == (row.kind, row.sort):
            continue  # new, or the same kind: its stored children fit as before
        for child in children.get(code, []):
            if child in seen or child not in stored_kinds:
                continue  # a row of the file: checked above
            misfit = nesting_error(row.kind, row.sort, *stored_kinds[child])
            if misfit is not None:
                refuse(row, f"{_ENGLISH[misfit]} (stored unit {child} under it)", misfit)
                del accepted[code]
                break

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


def _nesting(
    row: UnitRow, kinds: Mapping[str, tuple[str, str | None]], roots: set[str]
) -> Nesting | None:
    if row.parent is None:
        problem = nesting_error(None, None, row.kind, row.sort)
        if problem is None and roots - {row.code}:
            return Nesting.TWO_ROOTS
        return problem
    parent = kinds.get(row.parent)
    if parent is None:
        return None  # a stored unit whose kind the caller did not give
    return nesting_error(parent[0], parent[1], row.kind, row.sort)


# English fallbacks of the nesting reasons (the CLI prints the catalog text).
_ENGLISH: dict[Nesting, str] = {
    Nesting.ROOT_NOT_PROVINCE: "only a province committee may have no parent",
    Nesting.PROVINCE_NOT_ROOT: "a province committee has no parent",
    Nesting.TWO_ROOTS: "a second root: the tree has one province committee",
    Nesting.UNDER_CELL: "nothing may be placed under a cell",
    Nesting.BLOC_NOT_UNDER_PROVINCE: "a bloc committee sits directly under the province",
    Nesting.DISTRICT_NOT_UNDER_PROVINCE: "a district sits directly under the province",
    Nesting.GRASSROOTS_TOO_LOW: "a grassroots committee sits under the province or a bloc",
    Nesting.SUBCOMMITTEE_NOT_UNDER_GRASSROOTS: "a sub-committee sits under a grassroots committee",
    Nesting.CELL_NEEDS_GRASSROOTS: (
        "a cell sits under a grassroots committee (or use kind grassroots_cell)"
    ),
    Nesting.GRASSROOTS_CELL_TOO_LOW: (
        "a grassroots cell sits directly under the province or a bloc committee"
    ),
    Nesting.BAD_SORT: "bad sort",
}


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
