"""Read-only screens of /initiatives: the menu, lists, one initiative, coverage."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import Request
from bot.keyboards import button, markup, pager_row, rows
from domain import clock
from handlers.cells import cell_name
from handlers.initiatives_common import (
    STATUS_CODES,
    STATUS_ICON,
    P,
    esc,
    kind_label,
    money,
    percent,
    short,
    show_date,
    status_label,
)
from storage.initiatives import (
    TRANSITIONS,
    InitiativeStatus,
    cell_coverage,
    group_size,
    list_initiatives,
    member_coverage,
    split_attachment,
)
from storage.models import Initiative, Member, MemberStatus

PAGE_SIZE = 8
MEMBER_PAGE_SIZE = 10
MAX_UNCOVERED_SHOWN = 40
MIN_YEAR, MAX_YEAR = 2000, 2100
View = tuple[str, InlineKeyboardMarkup]

# (from, to) → button label key; the "undo" moves read differently from forward moves.
TRANSITION_LABEL = {
    ("registered", "in_progress"): "initiatives.btn_start",
    ("registered", "completed"): "initiatives.btn_complete",
    ("registered", "dropped"): "initiatives.btn_drop",
    ("in_progress", "completed"): "initiatives.btn_complete",
    ("in_progress", "dropped"): "initiatives.btn_drop",
    ("completed", "in_progress"): "initiatives.btn_reopen",
    ("dropped", "registered"): "initiatives.btn_restore",
}
STATUS_CODE_OF = {s.value: code for code, s in STATUS_CODES.items() if s is not None}


def valid_year(year: int | None) -> bool:
    return year is not None and MIN_YEAR <= year <= MAX_YEAR


async def menu_view(req: Request, cell_id: int) -> View:
    year = clock.today(req.settings.tz).year
    cov = await cell_coverage(req.session, cell_id, year)
    text = req.t(
        "initiatives.menu",
        cell=cell_name(req, cell_id),
        year=year,
        covered=cov.covered_members,
        active=cov.active_members,
        pct=percent(cov.coverage),
        done=cov.completed_members,
        done_pct=percent(cov.completion),
    )
    return text, markup(
        [button(req.t("initiatives.btn_register"), P, "reg", cell_id)],
        [
            button(req.t("initiatives.btn_list"), P, "ls", cell_id, 0, year, "a", 0),
            button(req.t("initiatives.btn_by_member"), P, "mb", cell_id, year, 0),
        ],
        [button(req.t("initiatives.btn_coverage"), P, "cv", cell_id, year)],
    )


async def list_view(
    req: Request, cell_id: int, member_id: int, year: int, status_code: str, page: int
) -> View:
    """A cell's (or one member's, when member_id > 0) initiatives of a year, by status."""
    status = STATUS_CODES[status_code]
    items, total = await list_initiatives(
        req.session,
        cell_id,
        year=year,
        status=status,
        member_id=member_id or None,
        page=page,
        page_size=PAGE_SIZE,
    )
    member = await req.session.get(Member, member_id) if member_id else None
    who = esc(member.full_name) if member is not None else cell_name(req, cell_id)
    filter_label = status_label(req, status.value) if status else req.t("initiatives.filter_all")
    text = req.t("initiatives.list_title", who=who, year=year, filter=filter_label, count=total)
    text += "\n" + (req.t("initiatives.legend") if total else req.t("initiatives.list_empty"))
    item_buttons = [
        button(
            short(
                f"{STATUS_ICON.get(i.status, '')} {i.title}"
                + ("" if member_id else f" — {i.member_name}"),
                60,
            ),
            P,
            "sh",
            cell_id,
            i.id,
        )
        for i in items
    ]
    filters = [
        button(
            ("• " if code == status_code else "")
            + (req.t("initiatives.filter_all") if s is None else STATUS_ICON[s.value]),
            P,
            "ls",
            cell_id,
            member_id,
            year,
            code,
            0,
        )
        for code, s in STATUS_CODES.items()
    ]
    back = (
        button(req.t("common.back"), P, "mb", cell_id, year, 0)
        if member_id
        else button(req.t("common.back"), P, "menu", cell_id)
    )
    register_for = (
        [button(req.t("initiatives.btn_register_for"), P, "regm", cell_id, member_id)]
        if member is not None and member.status != MemberStatus.LEFT.value
        else []
    )
    return text, markup(
        *rows(item_buttons, 1),
        pager_row(f"{P}:ls", page, total, PAGE_SIZE, cell_id, member_id, year, status_code),
        filters,
        _list_year_row(cell_id, member_id, year, status_code),
        register_for,
        [back],
    )


def _list_year_row(
    cell_id: int, member_id: int, year: int, status_code: str
) -> list[InlineKeyboardButton]:
    row = []
    if year > MIN_YEAR:
        row.append(button(f"◀ {year - 1}", P, "ls", cell_id, member_id, year - 1, status_code, 0))
    row.append(button(f"· {year} ·", "noop"))
    if year < MAX_YEAR:
        row.append(button(f"{year + 1} ▶", P, "ls", cell_id, member_id, year + 1, status_code, 0))
    return row


async def members_view(req: Request, cell_id: int, year: int, page: int) -> View:
    """Every member with ✓ when covered in `year`; a tap opens their initiatives."""
    everyone = await member_coverage(req.session, cell_id, year)
    total = len(everyone)
    members = everyone[page * MEMBER_PAGE_SIZE : (page + 1) * MEMBER_PAGE_SIZE]
    active = [m for m in everyone if m.active]
    text = req.t(
        "initiatives.members_title",
        cell=cell_name(req, cell_id),
        year=year,
        covered=sum(1 for m in active if m.covered),
        active=len(active),
    )
    text += "\n" + req.t("initiatives.members_legend")
    member_buttons = [
        button(
            short(
                ("✓ " if m.covered else "")
                + m.full_name
                + (req.t("roster.mark.exempt") if m.status == MemberStatus.EXEMPT.value else "")
                + (f" ({m.initiatives})" if m.initiatives else ""),
                40,
            ),
            P,
            "ls",
            cell_id,
            m.member_id,
            year,
            "a",
            0,
        )
        for m in members
    ]
    year_row = []
    if year > MIN_YEAR:
        year_row.append(button(f"◀ {year - 1}", P, "mb", cell_id, year - 1, 0))
    year_row.append(button(f"· {year} ·", "noop"))
    if year < MAX_YEAR:
        year_row.append(button(f"{year + 1} ▶", P, "mb", cell_id, year + 1, 0))
    return text, markup(
        *rows(member_buttons, 2),
        pager_row(f"{P}:mb", page, total, MEMBER_PAGE_SIZE, cell_id, year),
        year_row,
        [button(req.t("common.back"), P, "menu", cell_id)],
    )


async def item_view(req: Request, ini: Initiative) -> View:
    member = await req.session.get(Member, ini.member_id)
    others = await group_size(req.session, ini.group_key) - 1
    lines = [
        f"{STATUS_ICON.get(ini.status, '')} <b>{esc(ini.title)}</b>",
        req.t("initiatives.item_member", name=esc(member.full_name if member else "")),
    ]
    if others > 0:
        lines.append(req.t("initiatives.item_group", count=others))
    lines.append(
        req.t(
            "initiatives.item_kind",
            kind=kind_label(req, ini.kind),
            year=ini.year,
            status=status_label(req, ini.status),
        )
    )
    optional = (
        ("initiatives.item_description", ini.description and esc(ini.description)),
        ("initiatives.item_benefit", ini.expected_benefit and esc(ini.expected_benefit)),
        (
            "initiatives.item_amount",
            money(req, ini.expected_amount_vnd) if ini.expected_amount_vnd is not None else None,
        ),
        ("initiatives.item_target", ini.target_date and show_date(ini.target_date)),
        ("initiatives.item_result", ini.result and esc(ini.result)),
        (
            "initiatives.item_realised",
            money(req, ini.realised_amount_vnd) if ini.realised_amount_vnd is not None else None,
        ),
        ("initiatives.item_drop_reason", ini.drop_reason and esc(ini.drop_reason)),
    )
    lines.extend(req.t(key, value=value) for key, value in optional if value)
    attachment = split_attachment(ini.attachment_file_id)
    if attachment is not None:
        lines.append(req.t("initiatives.item_attachment"))
    status_buttons = [
        button(
            req.t(TRANSITION_LABEL[(ini.status, target)]),
            P,
            "st",
            ini.cell_id,
            ini.id,
            STATUS_CODE_OF[target],
        )
        for target in sorted(TRANSITIONS.get(ini.status, frozenset()), key=_order)
        if (ini.status, target) in TRANSITION_LABEL
    ]
    return "\n".join(lines), markup(
        *rows(status_buttons, 2),
        [button(req.t("initiatives.btn_attachment"), P, "fl", ini.cell_id, ini.id)]
        if attachment
        else [],
        [
            button(
                req.t("initiatives.btn_member_list"),
                P,
                "ls",
                ini.cell_id,
                ini.member_id,
                ini.year,
                "a",
                0,
            ),
            button(req.t("initiatives.btn_cell_list"), P, "ls", ini.cell_id, 0, ini.year, "a", 0),
        ],
    )


def _order(status: str) -> int:
    return list(InitiativeStatus).index(InitiativeStatus(status))


async def coverage_view(req: Request, cell_id: int, year: int) -> View:
    cov = await cell_coverage(req.session, cell_id, year)
    everyone = await member_coverage(req.session, cell_id, year)
    uncovered = [m for m in everyone if m.active and not m.covered]
    text = req.t(
        "initiatives.coverage",
        cell=cell_name(req, cell_id),
        year=year,
        active=cov.active_members,
        covered=cov.covered_members,
        pct=percent(cov.coverage),
        done=cov.completed_members,
        done_pct=percent(cov.completion),
        count=cov.initiatives,
    )
    if cov.realised_vnd:
        text += "\n" + req.t("initiatives.coverage_realised", amount=money(req, cov.realised_vnd))
    if uncovered:
        names = ", ".join(esc(m.full_name) for m in uncovered[:MAX_UNCOVERED_SHOWN])
        if len(uncovered) > MAX_UNCOVERED_SHOWN:
            names += " " + req.t("initiatives.and_more", count=len(uncovered) - MAX_UNCOVERED_SHOWN)
        text += "\n\n" + req.t("initiatives.uncovered", count=len(uncovered), names=names)
    elif cov.active_members:
        text += "\n\n" + req.t("initiatives.all_covered")
    year_row = []
    if year > MIN_YEAR:
        year_row.append(button(f"◀ {year - 1}", P, "cv", cell_id, year - 1))
    year_row.append(button(f"· {year} ·", "noop"))
    if year < MAX_YEAR:
        year_row.append(button(f"{year + 1} ▶", P, "cv", cell_id, year + 1))
    return text, markup(
        [
            button(
                req.t("initiatives.btn_register_uncovered", count=len(uncovered)),
                P,
                "regu",
                cell_id,
                year,
            )
        ]
        if uncovered
        else [],
        year_row,
        [button(req.t("common.back"), P, "menu", cell_id)],
    )
