"""The answer rules of the tasks: last month's tasks reviewed one by one, and next month's
tasks typed, given an owner, carried over or removed. Pure over `CheckinAnswers`, like the rest
of domain/checkin_rules.py, which hands these answers here.
"""

from __future__ import annotations

import re

from domain.checkin_answering import Problem, Result, assign
from domain.checkin_schema import (
    MAX_TASK_TEXT,
    MAX_TASKS,
    TASK_STATUSES,
    CheckinAnswers,
    PriorTask,
    TaskItem,
)

# A list marker typed before a task ("- ", "• ", "1. ", "2) "): not part of the task.
_TASK_MARKER = re.compile(r"^(?:[-•*+]\s*|\d{1,2}[.)]\s+)")


def apply_task_review(a: CheckinAnswers, value: str) -> Result:
    """``all`` (every task done, one tap) or ``<status>.<task id>``."""
    if value == "all" and a.prior_tasks:
        return assign(a, task_review={p.id: "done" for p in a.prior_tasks})
    status, _, task = value.partition(".")
    if status not in TASK_STATUSES or not (task.isascii() and task.isdigit()):
        return Problem("checkin.err.stale", {})
    if int(task) not in {p.id for p in a.prior_tasks}:
        return Problem("checkin.err.stale", {})
    return assign(a, task_review={**a.task_review, int(task): status})


def unfinished_tasks(a: CheckinAnswers) -> list[PriorTask]:
    """Last month's tasks reviewed as less than done and not carried into next month yet."""
    carried = {t.carried_from for t in a.next_tasks or []}
    return [
        p
        for p in a.prior_tasks
        if a.task_review.get(p.id) not in (None, "done") and p.id not in carried
    ]


def owner_pending(a: CheckinAnswers) -> int | None:
    """The index of the next task whose owner is still to be tapped."""
    if not a.next_tasks or a.next_tasks_unowned == 0:
        return None
    return len(a.next_tasks) - a.next_tasks_unowned


def add_tasks(a: CheckinAnswers, text: str) -> Result:
    """Typed tasks, one a line; each is saved at once and its owner asked next."""
    lines = [_TASK_MARKER.sub("", line.strip()).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return Problem("checkin.err.task_empty", {"max": MAX_TASK_TEXT})
    if any(len(line) > MAX_TASK_TEXT for line in lines):
        return Problem("checkin.err.task_long", {"max": MAX_TASK_TEXT})
    tasks = list(a.next_tasks or [])
    if len(tasks) + len(lines) > MAX_TASKS:
        return Problem("checkin.err.task_many", {"max": MAX_TASKS, "left": MAX_TASKS - len(tasks)})
    tasks += [TaskItem(text=line) for line in lines]
    return assign(a, next_tasks=tasks, next_tasks_unowned=a.next_tasks_unowned + len(lines))


def set_task_owner(a: CheckinAnswers, owner_id: int | None) -> Result:
    """The owner of the task being asked (None: the whole cell)."""
    index = owner_pending(a)
    if index is None or a.next_tasks is None:
        return Problem("checkin.err.stale", {})
    tasks = list(a.next_tasks)
    tasks[index] = tasks[index].model_copy(update={"owner_id": owner_id})
    return assign(a, next_tasks=tasks, next_tasks_unowned=a.next_tasks_unowned - 1)


def apply_tasks_button(a: CheckinAnswers, value: str) -> Result:
    """``cell`` (the whole cell owns the task asked), ``x<n>`` (remove task n), ``carry``
    (last month's unfinished tasks, with their owners) and ``done``."""
    tasks = list(a.next_tasks or [])
    owned = len(tasks) - a.next_tasks_unowned
    if value == "cell":
        return set_task_owner(a, None)
    if value == "done":
        if not tasks or a.next_tasks_unowned:
            return Problem("checkin.err.stale", {})
        return assign(a, lists_done=sorted({*a.lists_done, "next_tasks"}))
    if value == "carry":
        carried = [
            TaskItem(text=p.text, owner_id=p.owner_id, carried_from=p.id)
            for p in unfinished_tasks(a)
        ]
        if not carried or len(tasks) + len(carried) > MAX_TASKS:
            return Problem("checkin.err.stale", {})
        # Before the tasks still waiting for an owner, which stay the last ones.
        return assign(a, next_tasks=tasks[:owned] + carried + tasks[owned:])
    if value[:1] == "x" and value[1:].isascii() and value[1:].isdigit():
        index = int(value[1:])
        if index >= len(tasks):
            return Problem("checkin.err.stale", {})
        unowned = a.next_tasks_unowned - (1 if index >= owned else 0)
        del tasks[index]
        return assign(a, next_tasks=tasks, next_tasks_unowned=unowned)
    return Problem("checkin.err.stale", {})
