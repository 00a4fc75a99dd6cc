"""The chi ủy's pre-meeting brief as text: the facts (`Brief`, gathered by handlers/brief.py)
in, catalog texts out. Also the meeting notice sent to the supervising committee, whose
content is the same draft agenda.

The agenda follows the order of a regular meeting (12-HD/BTCTW, HD 42-HD/BTCTW): opening
(dues, member situation, agenda, thư ký) → current affairs and directives → members'
ideological situation → review of last month and its resolution → Hồ Chí Minh study → the
quarter's thematic topic when it is still due → next month's tasks with owners → discussion
→ conclusion and the vote → member matters → the meeting's quality → the minutes adopted.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from bot.i18n import date_text, period_text, t
from bot.ledger_text import warning_reasons
from domain.periods import month_label
from storage.ledger import Warned
from storage.notices_sent import NoticeSent
from storage.tasks import TaskRow
from storage.thematic import PlannedTopic


@dataclass(frozen=True)
class Brief:
    cell_id: int
    cell_name: str
    cell_code: str
    parent_name: str | None
    month: dt.date  # the meeting's month
    start: dt.datetime | None  # local time of the meeting; None: no schedule
    cancelled: bool
    place: str | None
    open_tasks: list[TaskRow]
    thematic_due: bool
    plan: PlannedTopic | None  # this quarter's thematic plan
    notice: NoticeSent | None
    # The members to watch, one entry each (storage/ledger.py: absent 2 of the last 3 months,
    # or a twelve months' warning), and whether dues are recorded per member at all.
    watch: tuple[Warned, ...] = ()
    dues_recorded: bool = False


def quarter_code(month: dt.date) -> str:
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


def _e(text: str) -> str:
    return html.escape(text)


def thematic_item(brief: Brief, lang: str) -> str:
    plan = brief.plan
    if plan is None or not plan.topic:
        return t(lang, "brief.agenda.thematic_unset")
    if plan.presenter_name:
        return t(
            lang,
            "brief.agenda.thematic_by",
            topic=_e(plan.topic),
            presenter=_e(plan.presenter_name),
        )
    return t(lang, "brief.agenda.thematic", topic=_e(plan.topic))


def agenda(brief: Brief, lang: str) -> list[str]:
    """The draft agenda's items, in meeting order (HTML-escaped)."""
    count = len(brief.open_tasks)
    review = (
        t(lang, "brief.agenda.review", count=count)
        if count
        else t(lang, "brief.agenda.review_none")
    )
    items = [
        t(lang, "brief.agenda.opening"),
        t(lang, "brief.agenda.current_affairs"),
        t(lang, "brief.agenda.ideology"),
        review,
        t(lang, "brief.agenda.ho_chi_minh"),
    ]
    if brief.thematic_due:
        items.append(thematic_item(brief, lang))
    items += [
        t(lang, f"brief.agenda.{key}")
        for key in ("next_tasks", "discussion", "resolution", "members", "quality", "closing")
    ]
    return items


def numbered(items: list[str]) -> str:
    return "\n".join(f"{number}. {item}" for number, item in enumerate(items, start=1))


def owner_text(task: TaskRow, lang: str) -> str:
    if task.owner_name:
        return t(lang, "brief.task_owner", name=_e(task.owner_name))
    return t(lang, "brief.task_owner_cell")


def status_text(task: TaskRow, lang: str) -> str:
    return t(lang, f"brief.status.{task.status or 'none'}")


def risk_reasons(member: Warned, lang: str) -> str:
    """The last three months' absences, then the twelve months' warnings, on one line."""
    reasons = []
    recent = member.recent
    if recent.warned and recent.unexcused:
        reasons.append(
            t(
                lang,
                "brief.risk_absent_unexcused",
                count=recent.months,
                unexcused=recent.unexcused,
            )
        )
    elif recent.warned:
        reasons.append(t(lang, "brief.risk_absent", count=recent.months))
    if member.warnings.any:
        reasons.append(warning_reasons(member.warnings, lang))
    return "; ".join(reasons)


def when_lines(brief: Brief, lang: str) -> list[str]:
    if brief.cancelled:
        return [t(lang, "brief.when_cancelled")]
    if brief.start is None:
        return [t(lang, "brief.when_unknown")]
    place = _e(brief.place) if brief.place else t(lang, "brief.place_unknown")
    return [
        t(lang, "brief.when", time=f"{brief.start:%H:%M}", date=date_text(brief.start, lang)),
        t(lang, "brief.place", place=place),
    ]


def sent_text(sent: NoticeSent, lang: str) -> str:
    return f"{sent.sent_at:%H:%M} {date_text(sent.sent_at, lang)}"


def brief_text(brief: Brief, lang: str, zone: dt.tzinfo) -> str:
    period = period_text(month_label(brief.month), lang)
    lines = [t(lang, "brief.title", period=period, cell=_e(brief.cell_name))]
    lines += when_lines(brief, lang)
    lines += ["", t(lang, "brief.agenda_title"), numbered(agenda(brief, lang)), ""]
    if brief.open_tasks:
        lines.append(t(lang, "brief.tasks_title", count=len(brief.open_tasks)))
        lines += [
            t(
                lang,
                "brief.task_line",
                text=_e(task.text),
                owner=owner_text(task, lang),
                status=status_text(task, lang),
            )
            for task in brief.open_tasks
        ]
    else:
        lines.append(t(lang, "brief.tasks_none"))
    lines.append("")
    if brief.watch:
        lines.append(t(lang, "brief.risk_title"))
        lines += [
            t(lang, "brief.risk_line", name=_e(m.name), reasons=risk_reasons(m, lang))
            for m in brief.watch
        ]
    else:
        lines.append(t(lang, "brief.risk_none"))
    if not brief.dues_recorded:  # said rather than reporting no one as unpaid
        lines.append(t(lang, "brief.risk_dues"))
    lines.append("")
    quarter = period_text(quarter_code(brief.month), lang)
    lines.append(
        t(
            lang,
            "brief.thematic_due" if brief.thematic_due else "brief.thematic_done",
            quarter=quarter,
        )
    )
    if brief.thematic_due:
        plan = brief.plan
        if plan is not None and (plan.topic or plan.presenter_name):
            presenter = (
                t(lang, "brief.thematic_presenter", name=_e(plan.presenter_name))
                if plan.presenter_name
                else ""
            )
            topic = _e(plan.topic) if plan.topic else t(lang, "thematic.no_topic")
            lines.append(t(lang, "brief.thematic_plan", topic=topic, presenter=presenter))
        else:
            lines.append(t(lang, "brief.thematic_no_plan"))
    lines.append("")
    if brief.notice is not None:
        local = NoticeSent(
            brief.notice.sent_at.astimezone(zone), brief.notice.recipients, brief.notice.count
        )
        lines.append(
            t(lang, "brief.notice_sent", when=sent_text(local, lang), count=local.recipients)
        )
    else:
        lines.append(t(lang, "brief.notice_not_sent"))
    return "\n".join(lines)


def notice_values(brief: Brief, lang: str, sender: str) -> dict[str, str]:
    """The values of the ``brief.notice`` message (rendered in the recipient's language by
    the dispatcher; the agenda, the cell's own content, stays in the sender's language)."""
    if brief.start is None:
        when = t(lang, "brief.notice_when_unknown")
    else:
        when = t(
            lang,
            "brief.notice_when",
            time=f"{brief.start:%H:%M}",
            date=date_text(brief.start, lang),
        )
    return {
        "cell": _e(brief.cell_name),
        "period": period_text(month_label(brief.month), lang),
        "when": when,
        "place": _e(brief.place) if brief.place else t(lang, "brief.place_unknown"),
        "agenda": numbered(agenda(brief, lang)),
        "sender": _e(sender),
    }


def notice_text(brief: Brief, lang: str, sender: str) -> str:
    return t(lang, "brief.notice", **notice_values(brief, lang, sender))
