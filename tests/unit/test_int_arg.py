"""Ids read from callback data: ASCII digits only, and small enough for a PostgreSQL integer."""

from __future__ import annotations

import pytest

from bot.keyboards import MAX_ID, int_arg, parse_cb


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("ci:a:0:1", 0),
        ("ci:a:42:1", 42),
        ("ci:a:007:1", 7),
        (f"ci:a:{2**31 - 1}:1", 2**31 - 1),
    ],
)
def test_plain_ids_are_read(data: str, expected: int) -> None:
    assert int_arg(parse_cb(data), 2) == expected


@pytest.mark.parametrize(
    "arg",
    [
        "2147483648",  # 2**31: "value out of int32 range" on PostgreSQL
        "9007199254740991",  # 2**53 - 1, accepted before
        "99999999999999999999999999",
        "１２",  # full-width digits: int() takes them
        "١٢",  # Arabic-Indic digits
        "²",  # a digit to str.isdigit, not to int()
        "-1",
        "+1",
        " 1",
        "1 ",
        "1\n",
        "1_0",
        "0x10",
        "1.0",
        "1e3",
        "",
    ],
)
def test_forged_ids_are_refused(arg: str) -> None:
    assert int_arg(["ci", "a", arg, "1"], 2) is None


def test_missing_parts_are_refused() -> None:
    parts = parse_cb("ci:a")
    assert int_arg(parts, 2) is None
    assert int_arg(parts, -1) is None  # never counted from the end
    assert int_arg(parse_cb(None), 0) is None
    assert MAX_ID == 2**31 - 1
