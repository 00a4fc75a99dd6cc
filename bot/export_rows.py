"""The streamed sheets of an export (check-ins, absences, tasks, recommendations): their
columns and a function from one row storage/export.py streams to the sheet's row. A
province's year is ~50,000 check-ins and ~90,000 absences, so each converter looks its
labels up once, not once a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from bot.export_sheets import Column, Labels, band_name, yes_no
from domain.framework import Framework
from domain.scoring import band_for
from storage.export import (
    BOOL,
    DATE,
    FACT_COLUMNS,
    MONTH,
    NUM,
    STAMP,
    TEXT,
    TEXT_ANSWERS,
    ExportData,
)


def checkin_columns() -> list[Column]:
    return [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.group", TEXT, 26),
        Column("sv.x.col.month", MONTH),
        Column("sv.x.col.slot", TEXT, 11),
        Column("sv.x.col.submitted_at", STAMP),
        *[Column(f"sv.x.fact.{name}", kind, None) for name, kind in FACT_COLUMNS],
        *[Column(f"sv.x.fact.{name}", TEXT, 30) for name in TEXT_ANSWERS],
        Column("sv.x.col.meeting_score", NUM, 12),
        Column("sv.x.col.meeting_band", TEXT, 14),
        Column("sv.x.col.review", TEXT, 12),
        Column("sv.x.col.review_comment", TEXT, 30),
    ]


def checkin_row(fw: Framework, labels: Labels, data: ExportData) -> Callable[[Any], list[Any]]:
    """A function from one streamed check-in row (storage.export) to the sheet's row."""
    choice = {
        "meeting_type": "sv.x.meeting_type.",
        "dues_status": "sv.x.dues.",
        "resolution_impl": "sv.x.impl.",
    }
    # The same few labels and bands on every row: looked up once each (a province's year
    # has ~50,000 rows of 26 facts).
    yes_no_text = {True: yes_no(labels, True), False: yes_no(labels, False), None: None}
    texts: dict[str, str] = {}

    def text(key: str) -> str:
        found = texts.get(key)
        if found is None:
            found = texts[key] = labels.t(key)
        return found

    bands: dict[float | None, str | None] = {}

    def band(score: float | None) -> str | None:
        if score not in bands:
            bands[score] = band_name(fw, labels, _meeting_band(fw, score), meeting=True)
        return bands[score]

    kinds = ["bool" if kind == BOOL else choice.get(name, "") for name, kind in FACT_COLUMNS]
    facts_end = 6 + len(kinds)

    def row(r: Any) -> list[Any]:
        code, name, parent_id, month, slot, submitted_at = r[:6]
        values: list[Any] = []
        for kind, value in zip(kinds, r[6:facts_end], strict=True):
            if not kind:
                values.append(value)
            elif kind == "bool":
                values.append(yes_no_text[value])
            else:
                values.append(None if value is None else text(kind + str(value)))
        score, review, comment = r[facts_end : facts_end + 3]
        rounded = None if score is None else round(float(score), 1)
        return [
            code,
            name,
            data.groups.get(parent_id, ""),
            month,
            text(f"sv.x.slot.{slot}"),
            _local(submitted_at, data.tz),
            *values,
            *[_text(value) for value in r[facts_end + 3 :]],
            rounded,
            band(rounded),
            text(f"sv.x.review.{review}") if review else None,
            comment,
        ]

    return row


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _meeting_band(fw: Framework, score: float | None) -> str | None:
    return band_for(fw.meeting_rubric.bands, score)


def _local(value: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    # Excel has no time zones: write the reader's local time, without tzinfo.
    return None if value is None else value.astimezone(tz).replace(tzinfo=None)


def attendance_columns() -> list[Column]:
    return [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.month", MONTH),
        Column("sv.x.fact.meeting_date", DATE),
        Column("sv.x.col.member", TEXT, 26),
        Column("sv.x.col.absence", TEXT, 18),
    ]


def attendance_row(labels: Labels) -> Callable[[Any], list[Any]]:
    """A function from one streamed absence row (storage.export) to the sheet's row."""

    statuses: dict[str, str] = {}

    def row(r: Any) -> list[Any]:
        code, name, month, day, member, status = r
        text = statuses.get(status)
        if text is None:
            text = statuses[status] = labels.t(f"sv.x.absence.{status}")
        return [code, name, month, day, member, text]

    return row


def tasks_columns() -> list[Column]:
    return [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.month_set", MONTH, 11),
        Column("sv.x.col.task", TEXT, 50),
        Column("sv.x.col.owner", TEXT, 26),
        Column("sv.x.col.task_status", TEXT, 20),
        Column("sv.x.col.reviewed_in", MONTH, 12),
    ]


def task_row(labels: Labels) -> Callable[[Any], list[Any]]:
    """A function from one streamed task row (storage.export) to the sheet's row."""
    whole_cell = labels.t("sv.x.whole_cell")
    statuses: dict[str | None, str] = {}

    def status_text(status: str | None) -> str:
        found = statuses.get(status)
        if found is None:
            found = statuses[status] = labels.t(f"sv.x.task.{status or 'open'}")
        return found

    def row(r: Any) -> list[Any]:
        code, name, month, text, owner, status, reviewed_in = r
        return [code, name, month, text, owner or whole_cell, status_text(status), reviewed_in]

    return row


def proposals_columns() -> list[Column]:
    return [
        Column("sv.x.col.code", TEXT, 18),
        Column("sv.x.col.cell", TEXT, 28),
        Column("sv.x.col.month", MONTH),
        Column("sv.x.col.recommendation", TEXT, 80),
    ]


def proposal_row(r: Any) -> list[Any]:
    code, name, month, text = r
    return [code, name, month, text]
