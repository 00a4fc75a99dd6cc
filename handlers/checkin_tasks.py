"""The two task questions of the check-in, as shown: last month's tasks reviewed one at a time
(four statuses, and "all done" on the first), and next month's tasks — typed one a line, each
given its owner from the members present (paged like the commended picker) or the whole cell,
listed with ✖ to remove one, last month's unfinished ones carried in one tap, then "Done".

Callback data: ``ci:a:<draft>:<version>:task_review:<status>.<task id>`` (or ``all``),
``ci:a:…:next_tasks:cell|done|carry|x<n>`` and ``ci:k:…:next_tasks:<member>:<page>``; the
rules they apply are in domain/checkin_task_rules.py.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton

from bot.i18n import t
from bot.keyboards import rows
from domain.checkin_schema import TASK_STATUSES, CheckinAnswers, TaskItem
from domain.checkin_task_rules import owner_pending, unfinished_tasks
from handlers.checkin_attendance import PAGE_SIZE, page_bounds, pager
from handlers.checkin_steps import Buttons
from storage.models import Member

Keyboard = list[list[InlineKeyboardButton]]


def owner_text(owner_id: int | None, names: dict[int, str], lang: str) -> str:
    if owner_id is None:
        return t(lang, "checkin.task_whole_cell")
    return html.escape(names.get(owner_id, "?"))


def task_line(n: int, task: TaskItem, names: dict[int, str], lang: str, owned: bool) -> str:
    """``2. Sửa đường — Lê Văn B`` (↪ when carried from last month)."""
    owner = owner_text(task.owner_id, names, lang) if owned else "…"
    mark = "↪ " if task.carried_from is not None else ""
    return f"{n}. {mark}{html.escape(task.text)} — {owner}"


def review_index(a: CheckinAnswers, edit: str | None, page: int) -> int:
    """Which of last month's tasks to ask: the first without a status, or, when editing a
    section (every task has one), the one the secretary has got to."""
    pending = a.pending_task()
    if edit is None and pending is not None:
        return a.prior_tasks.index(pending)
    return min(max(page, 0), max(len(a.prior_tasks) - 1, 0))


def task_review_view(
    a: CheckinAnswers, index: int, keys: Buttons, lang: str, names: dict[int, str]
) -> tuple[str, Keyboard]:
    task = a.prior_tasks[index]
    lines = [
        t(lang, "checkin.q.task_review", n=index + 1, total=len(a.prior_tasks)),
        f"<b>{html.escape(task.text)}</b>",
        t(lang, "checkin.task_owner", owner=owner_text(task.owner_id, names, lang)),
    ]
    current = a.task_review.get(task.id)
    if current is not None:
        lines.append(t(lang, "checkin.current", value=t(lang, f"checkin.task_status.{current}")))
    statuses = [
        keys.make(t(lang, f"checkin.task_status.{s}"), "a", "task_review", f"{s}.{task.id}")
        for s in TASK_STATUSES
    ]
    keyboard = rows(statuses, 2)
    if index == 0 and len(a.prior_tasks) > 1:
        keyboard.append([keys.make(t(lang, "checkin.btn_all_done"), "a", "task_review", "all")])
    return "\n".join(lines), keyboard


def next_tasks_view(
    a: CheckinAnswers,
    members: list[Member],
    page: int,
    keys: Buttons,
    lang: str,
    names: dict[int, str],
) -> tuple[str, Keyboard]:
    """The list so far, then either the owner picker of the task waiting for one, or the
    prompt to type a task with ✖, carry-over and Done."""
    tasks = a.next_tasks or []
    asking = owner_pending(a)
    lines = [t(lang, "checkin.q.next_tasks")]
    owned = len(tasks) - a.next_tasks_unowned
    lines += [task_line(i + 1, x, names, lang, i < owned) for i, x in enumerate(tasks)]
    if asking is not None:
        task = tasks[asking]
        lines.append(t(lang, "checkin.q.task_owner", task=html.escape(task.text)))
        return "\n".join(lines), owner_keyboard(a, members, page, keys, lang)
    lines.append(t(lang, "checkin.task_type_more" if tasks else "checkin.task_type_first"))
    remove = [keys.make(f"✖ {i + 1}", "a", "next_tasks", f"x{i}") for i in range(len(tasks))]
    keyboard = rows(remove, 6)
    carry = unfinished_tasks(a)
    if carry:
        label = t(lang, "checkin.btn_carry", n=len(carry))
        keyboard.append([keys.make(label, "a", "next_tasks", "carry")])
    if tasks:
        done = t(lang, "checkin.btn_done_n", n=len(tasks))
        keyboard.append([keys.make(done, "a", "next_tasks", "done")])
    return "\n".join(lines), keyboard


def present_members(a: CheckinAnswers, members: list[Member]) -> list[Member]:
    """Who can be given a task: the members at the meeting (everyone before attendance)."""
    absent = set(a.absent_ids)
    return [m for m in members if m.id not in absent]


def owner_keyboard(
    a: CheckinAnswers, members: list[Member], page: int, keys: Buttons, lang: str
) -> Keyboard:
    present = present_members(a, members)
    page, pages, start = page_bounds(page, len(present))
    names = [
        keys.make(m.full_name, "k", "next_tasks", m.id, page)
        for m in present[start : start + PAGE_SIZE]
    ]
    keyboard = [
        *rows(names, 2),
        pager(keys, "next_tasks", page, pages),
        [keys.make(t(lang, "checkin.btn_whole_cell"), "a", "next_tasks", "cell")],
    ]
    return [r for r in keyboard if r]


def tasks_answer_text(
    a: CheckinAnswers, question: str, lang: str, names: dict[int, str]
) -> str | None:
    """The review card's line for a task question (None: unanswered)."""
    if question == "task_review":
        impl = a.effective_resolution_impl
        if not a.prior_tasks or impl is None:
            return None
        return t(lang, f"checkin.resolution_impl.{impl}") + "".join(
            f"\n   {i + 1}. {html.escape(p.text)} — "
            + t(lang, f"checkin.task_status.{a.task_review[p.id]}")
            for i, p in enumerate(a.prior_tasks)
        )
    if question == "next_tasks":
        if not a.next_tasks or "next_tasks" not in a.lists_done:
            return None
        return "".join(
            "\n   " + task_line(i + 1, x, names, lang, True) for i, x in enumerate(a.next_tasks)
        )
    if question == "proposals":
        if a.proposals is None:
            return None
        return html.escape(a.proposals) if a.proposals else t(lang, "checkin.proposals_none")
    return None
