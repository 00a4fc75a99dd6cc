from __future__ import annotations

import codecs
import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.orgfile import (
    FORMATS,
    OrgFileError,
    UnitRow,
    detect_separator,
    parse_org_bytes,
    parse_org_text,
    validate_rows,
)
from storage.textfile import decode_text

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
        "X1,Orphan,grassroots,NOPE\n"
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


# ---------------------------------------------------------------- what Excel writes

TONES = "\u0300\u0301\u0309\u0303\u0323"


def cp1258(text: str) -> bytes:
    """Text as Windows writes Windows-1258: letters with their vowel marks precomposed where
    the code page has them, tone marks as separate combining characters after them."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in parts if c in TONES)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out += (base + tones).encode("cp1258")
    return bytes(out)


EXPECTED = [(r.code, r.name, r.kind, r.parent) for r in parse_org_text(CSV, fmt="csv")]
SEMICOLONS = CSV.replace(",", ";")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(CSV.encode("utf-8"), id="utf-8"),
        pytest.param(CSV.encode("utf-8-sig"), id="utf-8 BOM (Excel 'CSV UTF-8')"),
        pytest.param(SEMICOLONS.encode("utf-8-sig"), id="utf-8 BOM, semicolons"),
        pytest.param(CSV.encode("utf-16"), id="utf-16 native BOM"),
        pytest.param(codecs.BOM_UTF16_LE + CSV.encode("utf-16-le"), id="utf-16 LE BOM"),
        pytest.param(codecs.BOM_UTF16_BE + CSV.encode("utf-16-be"), id="utf-16 BE BOM"),
        pytest.param(
            codecs.BOM_UTF16_LE + CSV.replace(",", "\t").replace("\n", "\r\n").encode("utf-16-le"),
            id="Excel 'Unicode Text' (tabs, CRLF)",
        ),
        pytest.param(cp1258(SEMICOLONS.replace("\n", "\r\n")), id="cp1258, semicolons, CRLF"),
        pytest.param(cp1258(CSV), id="cp1258, commas"),
    ],
)
def test_every_encoding_and_separator_excel_writes_gives_the_same_rows(data: bytes) -> None:
    rows = parse_org_bytes(data, fmt="csv")
    assert [(r.code, r.name, r.kind, r.parent) for r in rows] == EXPECTED
    assert [r.line for r in rows] == [2, 3, 4, 5]


def test_cp1258_names_come_back_composed() -> None:
    """Windows-1258 spells 'ộ' as 'ô' + a combining dot: the parsed name must equal the one a
    user types in Telegram (NFC), or an import would 'rename' every unit."""
    data = cp1258("code;name;kind;parent\nC1;Chi bộ thôn Đồng Tâm Ữ;cell;QN\n")
    assert len(data) < len("Chi bộ thôn Đồng Tâm Ữ".encode()) + 30  # one byte a letter
    name = parse_org_bytes(data, fmt="csv")[0].name
    assert name == unicodedata.normalize("NFC", "Chi bộ thôn Đồng Tâm Ữ")


def test_a_semicolon_file_may_have_commas_in_names() -> None:
    text = "code;name;kind;parent\nC1;Chi bộ thôn A, xã B;cell;QN\n"
    row = parse_org_text(text, fmt="csv")[0]
    assert (row.code, row.name, row.parent) == ("C1", "Chi bộ thôn A, xã B", "QN")
    assert detect_separator("code,name;x") == ","  # a tie goes to the comma
    assert detect_separator("just-one-field") == ","


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            "code,name,kind,parent\nX,Straße Köln,cell,QN\n".encode("cp1252"), id="cp1252"
        ),
        pytest.param(b"code,name,kind,parent\nX,\xb8\xd5ng,cell,QN\n", id="TCVN3 font bytes"),
        pytest.param(b"\xff\xfe" + b"c\x00\xd8", id="broken utf-16"),
        pytest.param(b"code,name\x00\xff\xfe", id="binary"),
    ],
)
def test_undecodable_files_get_one_line_telling_how_to_save_them(data: bytes) -> None:
    with pytest.raises(OrgFileError) as info:
        parse_org_bytes(data, fmt="csv")
    message = str(info.value)
    assert "\n" not in message and "CSV UTF-8" in message
    assert decode_text(b"plain ascii") == "plain ascii"


def test_a_wrong_header_names_what_it_found() -> None:
    with pytest.raises(OrgFileError) as info:
        parse_org_text("ma|ten|loai\nX|Y|cell\n", fmt="csv")
    assert "code,name,kind,parent" in str(info.value) and "ma|ten|loai" in str(info.value)


def test_yaml_is_decoded_the_same_way() -> None:
    text = "units:\n  - {code: QN, name: Tỉnh ủy Quảng Ninh, kind: province}\n"
    rows = parse_org_bytes(text.encode("utf-16"), fmt="yaml")
    assert rows[0].name == "Tỉnh ủy Quảng Ninh"
    assert FORMATS[".txt"] == "csv"


# ---------------------------------------------------------------- the tree since July 2025

GOOD_2025 = """code,name,kind,parent,sort
QN,Tỉnh ủy Quảng Ninh,province,,
QN-HL,Đảng bộ phường Hạ Long,ward,QN,
QN-HL-C01,Chi bộ khu phố 1,cell,QN-HL,residential
QN-LH,Đảng bộ xã Lục Hồn,commune,QN,
QN-LH-C01,Chi bộ thôn Nà Áng,cell,QN-LH,village
QN-VD,Đảng bộ đặc khu Vân Đồn,special_zone,QN,
QN-VD-C01,Chi bộ thôn 1,cell,QN-VD,
QN-DN,Đảng bộ Khối doanh nghiệp tỉnh,bloc,QN,
QN-DN-TKV,Đảng bộ Công ty Than Hạ Long,grassroots,QN-DN,enterprise
QN-DN-TKV-BP1,Đảng ủy bộ phận Phân xưởng Khai thác,subcommittee,QN-DN-TKV,
QN-DN-TKV-BP1-C01,Chi bộ Khai thác 1,cell,QN-DN-TKV-BP1,enterprise
QN-DN-CS1,Chi bộ Công ty Cổ phần Cảng,grassroots_cell,QN-DN,
QN-CS2,Chi bộ Báo Quảng Ninh,cell,QN,grassroots
"""


def test_a_post_2025_tree_is_accepted_with_kinds_and_sorts_resolved() -> None:
    accepted, errors = validate_rows(parse_org_text(GOOD_2025, fmt="csv"), {})
    assert errors == []
    got = {r.code: (r.kind, r.sort) for r in accepted}
    assert got["QN"] == ("province", None)
    assert got["QN-HL"] == ("grassroots", "ward")
    assert got["QN-LH"] == ("grassroots", "commune")
    assert got["QN-VD"] == ("grassroots", "special_zone")
    assert got["QN-VD-C01"] == ("cell", None)
    assert got["QN-HL-C01"] == ("cell", "residential")
    assert got["QN-DN"] == ("bloc", None)
    assert got["QN-DN-TKV-BP1"] == ("subcommittee", None)
    assert got["QN-DN-TKV-BP1-C01"] == ("cell", "enterprise")
    assert got["QN-DN-CS1"] == got["QN-CS2"] == ("cell", "grassroots")
    assert len(accepted) == 13


BAD_NESTING = [
    # (row, reason code) — each under the good tree above, one line each
    ("B1,Tỉnh ủy thứ hai,province,,", "two_roots"),
    ("B2,Tỉnh ủy dưới chi bộ,province,QN-LH-C01,", "province_not_root"),
    ("B3,Chi bộ dưới chi bộ,cell,QN-LH-C01,", "under_cell"),
    ("B4,Chi bộ thẳng dưới Tỉnh ủy,cell,QN,village", "cell_needs_grassroots"),
    ("B5,Đảng ủy bộ phận dưới Tỉnh ủy,subcommittee,QN,", "subcommittee_not_under_grassroots"),
    ("B6,Chi bộ cơ sở dưới đảng bộ xã,grassroots_cell,QN-LH,", "grassroots_cell_too_low"),
    ("B7,Đảng bộ xã dưới đảng bộ xã,commune,QN-LH,", "grassroots_too_low"),
    ("B8,Khối dưới đảng bộ,bloc,QN-LH,", "bloc_not_under_province"),
    ("B9,Huyện dưới khối,district,QN-DN,", "district_not_under_province"),
    ("B10,Chi bộ không có Tỉnh ủy,grassroots,,", "root_not_province"),
    ("B11,Chi bộ dưới đảng ủy bộ phận,grassroots_cell,QN-DN-TKV-BP1,", "grassroots_cell_too_low"),
    ("B12,Đảng bộ dưới đảng ủy bộ phận,grassroots,QN-DN-TKV-BP1,", "grassroots_too_low"),
]


def test_every_kind_of_bad_nesting_is_refused_with_its_line() -> None:
    text = (
        GOOD_2025
        + "".join(row + "\n" for row, _ in BAD_NESTING)
        + (
            "B20,Loại lạ,hamlet,QN,\n"
            "B21,Loại sai,ward,QN,village\n"
            "B22,Sort sai,cell,QN-LH,ward\n"
            "B23,Sort cho Tỉnh ủy,bloc,QN,commune\n"
            "B24,Dưới đơn vị bị từ chối,cell,B7,\n"
        )
    )
    accepted, errors = validate_rows(parse_org_text(text, fmt="csv"), {})
    first = 2 + 13  # header, then the good tree
    by_line = {e.line: e for e in errors}
    for offset, (row, code) in enumerate(BAD_NESTING):
        error = by_line[first + offset]
        assert error.code == row.split(",")[0]
        assert error.nesting == code, (row, error)
    tail = first + len(BAD_NESTING)
    assert by_line[tail].reason == "bad kind 'hamlet'"
    assert "disagree" in by_line[tail + 1].reason
    assert by_line[tail + 2].reason == "bad sort 'ward' for a cell"
    assert by_line[tail + 3].reason == "bad sort 'commune' for a bloc"
    assert by_line[tail + 4].reason == "parent 'B7' was rejected"
    assert len(errors) == len(BAD_NESTING) + 5
    assert len(accepted) == 13  # the good rows stay acceptable; the caller writes nothing


def test_nesting_is_checked_against_stored_units_too() -> None:
    stored_parents = {"QN": None, "QN-LH": "QN", "QN-LH-C01": "QN-LH", "QN-DN": "QN"}
    stored_parents["QN-DN-G1"] = "QN-DN"
    stored_kinds = {
        "QN": ("province", None),
        "QN-LH": ("grassroots", "commune"),
        "QN-LH-C01": ("cell", "village"),
        "QN-DN": ("bloc", None),
        "QN-DN-G1": ("grassroots", "enterprise"),
    }
    rows = parse_org_text(
        "code,name,kind,parent\n"
        "X1,Chi bộ dưới chi bộ,cell,QN-LH-C01\n"
        "QN2,Tỉnh ủy khác,province,\n"
        "QN-DN,Khối thành đảng bộ cơ sở,grassroots,QN\n"  # its stored grassroots child
        "X2,Chi bộ dưới khối bị từ chối,cell,QN-DN\n"
        "QN,Tỉnh ủy Quảng Ninh,province,\n"  # the stored root, unchanged
        "X3,Chi bộ thôn mới,cell,QN-LH\n",
        fmt="csv",
    )
    accepted, errors = validate_rows(rows, stored_parents, stored_kinds)
    assert [(e.line, e.nesting) for e in errors] == [
        (2, "under_cell"),
        (3, "two_roots"),
        (4, "grassroots_too_low"),
        (5, None),
    ]
    assert "QN-DN-G1" in errors[2].reason and "rejected" in errors[3].reason
    assert [r.code for r in accepted] == ["QN", "X3"]


def test_a_pre_2025_file_still_imports() -> None:
    accepted, errors = validate_rows(parse_org_text(CSV, fmt="csv"), {})
    assert errors == [] and [(r.kind, r.sort) for r in accepted][:2] == [
        ("province", None),
        ("district", None),
    ]
