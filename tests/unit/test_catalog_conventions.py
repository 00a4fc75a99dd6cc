"""The Vietnamese texts follow domain.md "How the texts should sound": a 55-year-old village
secretary reads them."""

from __future__ import annotations

import re

import pytest

from bot.i18n import catalog, period_text

# Shown before the user holds any role (an invitation not yet opened, or refused): these may
# address the reader neutrally. Every other text is read by a secretary, deputy or committee
# member, who is "đồng chí", never "bạn".
NEUTRAL_BEFORE_A_ROLE = frozenset(
    {
        "start.no_invitation",
        "help.no_role",
        "whoami.none",
        "invite.malformed",
        "invite.unknown",
        "invite.expired",
        "invite.used",
        "invite.throttled",
        "invite.busy",
        "language.choose",
    }
)
BAN = re.compile(r"\bbạn\b", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Codes the user is asked to type (``/lock 2026-Q1``) are shown as <code>; anything else is a
# period that should have gone through bot.i18n.period_text.
CODE_EXAMPLE = re.compile(r"<code>.*?</code>", re.DOTALL)
PERIOD_CODE = re.compile(r"\b\d{4}-Q\d\b|\b\d{4}-\d{2}\b")
# "họp" is the executive committee's pre-meeting; the cell's meeting is "sinh hoạt".
MEETING = re.compile(r"\bhọp\b", re.IGNORECASE)
ABBREVIATIONS = re.compile(r"\b(?:SH|TC\d*|NQ|BCH|ĐV|vd)\b")
CARRIED_OUT_SCALE = ("Hoàn thành", "Cơ bản hoàn thành", "Hoàn thành một phần", "Chưa thực hiện")


def _vi() -> dict[str, str]:
    return catalog("vi")


def _text(message: str) -> str:
    """The words a reader sees: no placeholders, no typed examples."""
    return CODE_EXAMPLE.sub(" ", PLACEHOLDER.sub(" ", message))


def test_no_ban_once_the_user_holds_a_role() -> None:
    offending = {k: v for k, v in _vi().items() if BAN.search(v) and k not in NEUTRAL_BEFORE_A_ROLE}
    assert not offending, offending


def test_the_neutral_keys_exist() -> None:
    assert set(_vi()) >= NEUTRAL_BEFORE_A_ROLE, NEUTRAL_BEFORE_A_ROLE - set(_vi())


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_sleeping_sign_for_people(language: str) -> None:
    offending = {k: v for k, v in catalog(language).items() if "💤" in v}
    assert not offending, offending


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_unrendered_period_code(language: str) -> None:
    offending = {k: v for k, v in catalog(language).items() if PERIOD_CODE.search(_text(v))}
    assert not offending, offending


def test_the_cell_meeting_is_sinh_hoat_and_only_the_chi_uy_hop() -> None:
    offending = {
        k: v for k, v in _vi().items() if MEETING.search(_text(v)) and "chi ủy" not in v.lower()
    }
    assert not offending, offending


def test_full_words_not_abbreviations() -> None:
    offending = {k: v for k, v in _vi().items() if ABBREVIATIONS.search(_text(v))}
    assert not offending, offending


def test_one_scale_for_carried_out() -> None:
    vi = _vi()
    for prefix in ("checkin.resolution_impl", "sv.x.impl"):
        labels = tuple(vi[f"{prefix}.{v}"] for v in ("full", "mostly", "partly", "not"))
        assert labels == CARRIED_OUT_SCALE, prefix


def test_a_reminder_is_sent_not_received() -> None:
    assert _vi()["sv.mis.reminder.sent"] == "đã gửi"


def test_thematic_reminder_renders_the_quarter() -> None:
    from bot.notices import render_text

    payload = {
        "key": "reminders.thematic",
        "values": {"cell": "Chi bộ thôn 1", "quarter": "2026-Q4"},
    }
    vi = render_text(payload, "vi")
    assert "quý IV/2026" in vi and "2026-Q4" not in vi and "quý quý" not in vi
    assert "Q4 2026" in render_text(payload, "en")


@pytest.mark.parametrize(
    ("code", "vi", "en"),
    [
        ("2026-11", "tháng 11/2026", "November 2026"),
        ("2026-01", "tháng 01/2026", "January 2026"),
        ("2026-Q4", "quý IV/2026", "Q4 2026"),
        ("2026-Q1", "quý I/2026", "Q1 2026"),
        ("2026", "năm 2026", "2026"),
    ],
)
def test_period_text(code: str, vi: str, en: str) -> None:
    assert period_text(code, "vi") == vi
    assert period_text(code, "en") == en
