from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.orgfile import OrgFileError, UnitRow, parse_org_text, validate_rows

CSV = """code,name,kind,parent
QN,Tỉnh ủy Quảng Ninh,province,
QN-BL,Huyện ủy Bình Liêu,district,QN
QN-BL-LH,Đảng bộ xã Lục Hồn,grassroots,QN-BL
QN-BL-LH-C01,Chi bộ thôn Bản Pắt,cell,QN-BL-LH
"""


def test_csv_and_yaml_give_the_same_rows() -> None:
    yaml_text = """
units:
  - {code: QN, name: Tỉnh ủy Quảng Ninh, kind: province}
  - {code: QN-BL, name: Huyện ủy Bình Liêu, kind: district, parent: QN}
  - {code: QN-BL-LH, name: Đảng bộ xã Lục Hồn, kind: grassroots, parent: QN-BL}
  - {code: QN-BL-LH-C01, name: Chi bộ thôn Bản Pắt, kind: cell, parent: QN-BL-LH}
"""
    from_csv = [(r.code, r.name, r.kind, r.parent) for r in parse_org_text(CSV, fmt="csv")]
    from_yaml = [(r.code, r.name, r.kind, r.parent) for r in parse_org_text(yaml_text, fmt="yaml")]
    assert from_csv == from_yaml
    assert [r.line for r in parse_org_text(CSV, fmt="csv")] == [2, 3, 4, 5]


def test_each_kind_of_bad_row_is_reported_with_its_line() -> None:
    text = CSV + (
        "X1,Orphan,cell,NOPE\n"
        "QN-BL,Duplicate,district,QN\n"
        "BAD CODE,Name,cell,QN\n"
        "K1,Kind,village,QN\n"
        "A,Loop A,grassroots,B\n"
        "B,Loop B,grassroots,A\n"
        "C2,Under orphan,cell,X1\n"
    )
    accepted, errors = validate_rows(parse_org_text(text, fmt="csv"), {})
    reasons = {(e.line, e.reason.split(" ")[0]) for e in errors}
    assert (6, "unknown") in reasons
    assert (7, "duplicate") in reasons
    assert (8, "bad") in reasons
    assert (9, "bad") in reasons
    assert (10, "cycle") in reasons and (11, "cycle") in reasons
    assert (12, "parent") in reasons
    assert [r.code for r in accepted] == ["QN", "QN-BL", "QN-BL-LH", "QN-BL-LH-C01"]


def test_parent_may_be_an_already_stored_unit() -> None:
    rows = parse_org_text("code,name,kind,parent\nC9,Chi bộ 9,cell,QN-BL-LH\n", fmt="csv")
    accepted, errors = validate_rows(rows, {"QN-BL-LH": "QN-BL", "QN-BL": "QN", "QN": None})
    assert not errors and accepted[0].parent == "QN-BL-LH"


def test_files_that_are_not_trees_raise_a_readable_error() -> None:
    for text, fmt in (("a,b\n1,2\n", "csv"), ("[unclosed", "yaml"), ("42", "yaml"), ("", "toml")):
        try:
            parse_org_text(text, fmt=fmt)
        except OrgFileError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"{text!r} should be refused")


codes = st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=8)
kinds = st.sampled_from(["province", "district", "grassroots", "cell", "village", ""])
rows_strategy = st.lists(
    st.tuples(codes, st.text(min_size=0, max_size=30), kinds, st.one_of(st.none(), codes)),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(rows_strategy)
def test_validation_is_total_and_accepted_rows_form_a_forest(raw: list) -> None:  # type: ignore[type-arg]
    rows = [UnitRow(i + 2, c, n.strip(), k, p) for i, (c, n, k, p) in enumerate(raw)]
    accepted, errors = validate_rows(rows, {})
    # Every row is either accepted or rejected, never both, never lost.
    assert len(accepted) + len(errors) == len(rows)
    accepted_codes = [r.code for r in accepted]
    assert len(set(accepted_codes)) == len(accepted_codes)
    position = {code: i for i, code in enumerate(accepted_codes)}
    for row in accepted:
        if row.parent is not None:
            # parents exist among accepted rows and come first (no cycles)
            assert row.parent in position and position[row.parent] < position[row.code]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_parsers(text: str) -> None:
    for fmt in ("csv", "yaml"):
        try:
            rows = parse_org_text(text, fmt=fmt)
        except OrgFileError:
            continue
        validate_rows(rows, {})
