"""The member ledger and the candidate list as text: twelve months per member, the warnings,
the probation's dates, and the stage counts supervisors read. Catalog texts out
(bot/locales/*/LC_MESSAGES/members.po), HTML-escaped names."""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Sequence

from bot.i18n import date_text, t
from domain.amounts import format_digits
from domain.member_rules import MemberWarnings, MonthEntry, probation_end, warnings_of
from storage.ledger import Warned
from storage.models import Member, MemberStatus

STAGE_ORDER = ("identified", "course", "dossier", "admitted")


def month_text(month: dt.date) -> str:
    return f"{month.month:02d}/{month.year}"


def money(amount: int, lang: str) -> str:
    return t(lang, "ledger.vnd", amount=format_digits(amount, lang))


def ledger_lines(entries: Sequence[MonthEntry], lang: str) -> list[str]:
    """One line a month, newest first (the month a secretary asks about is usually recent)."""
    return [
        t(
            lang,
            "ledger.month",
            month=month_text(e.month),
            attendance=t(lang, f"ledger.att.{e.attendance.value}"),
            dues=t(lang, f"ledger.dues.{e.dues.value}"),
        )
        for e in sorted(entries, key=lambda e: e.month, reverse=True)
    ]


def warning_reasons(found: MemberWarnings, lang: str) -> str:
    reasons = []
    if found.absent:
        reasons.append(t(lang, "ledger.warn.absent", count=found.unexcused_months))
    if found.dues:
        reasons.append(t(lang, "ledger.warn.dues", count=found.unpaid_months))
    if found.streak:
        reasons.append(t(lang, "ledger.warn.streak", count=found.excused_streak))
    text = "; ".join(reasons)
    if found.strike_off:
        text += t(lang, "ledger.warn.strike_off")
    return text


def warned_lines(warned: Sequence[Warned], lang: str) -> list[str]:
    """The lines on top of /members: how many, then one ⚠️ line each."""
    if not warned:
        return []
    lines = [t(lang, "roster.warned_title", count=len(warned))]
    lines += [
        t(
            lang,
            "roster.warned_line",
            name=html.escape(w.name),
            reasons=warning_reasons(w.warnings, lang),
        )
        for w in warned
    ]
    return lines


def dates_lines(member: Member, lang: str) -> list[str]:
    lines = []
    if member.admitted_on is not None:
        lines.append(t(lang, "member.admitted", date=date_text(member.admitted_on, lang)))
    else:
        lines.append(t(lang, "member.admitted_unset"))
    if member.status == MemberStatus.PROBATIONARY.value and member.admitted_on is not None:
        end = probation_end(member.admitted_on)
        lines.append(t(lang, "member.probation_ends", date=date_text(end, lang)))
    if member.official_on is not None:
        lines.append(t(lang, "member.official_on", date=date_text(member.official_on, lang)))
    if member.monthly_dues is not None:
        lines.append(t(lang, "member.dues_amount", amount=money(member.monthly_dues, lang)))
    else:
        lines.append(t(lang, "member.dues_amount_unset"))
    return lines


def card_text(member: Member, entries: Sequence[MonthEntry], lang: str) -> str:
    """The card of a member on the roll: name and status, dates, twelve months, warnings."""
    lines = [
        t(
            lang,
            "roster.member",
            name=html.escape(member.full_name),
            status=t(lang, f"member_status.{member.status}"),
        )
    ]
    lines += dates_lines(member, lang)
    lines += ["", t(lang, "ledger.title"), *ledger_lines(entries, lang)]
    found = warnings_of(entries)
    if found.any and member.status != MemberStatus.EXEMPT.value:
        lines += ["", t(lang, "ledger.warning", reasons=warning_reasons(found, lang))]
    return "\n".join(lines)


# ---------------------------------------------------------------- candidates


def stage_name(stage: str, lang: str) -> str:
    return t(lang, f"cand.stage.{stage}")


def counts_text(counts: Counter[str], lang: str) -> str:
    return t(lang, "cand.counts", **{stage: counts.get(stage, 0) for stage in STAGE_ORDER})
