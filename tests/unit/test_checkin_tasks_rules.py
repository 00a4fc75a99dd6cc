"""The task rules of the check-in (issue 16), straight: last month's tasks reviewed one by one
and the indicator computed from them, next month's tasks typed, owned, removed, carried over."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.checkin_answering import Env, Problem, accepts_text
from domain.checkin_questions import (
    QUESTIONS,
    SECTION_OF,
    answered,
    applies,
    next_question,
    open_questions,
)
from domain.checkin_rules import apply_button, apply_text, clear_meeting
from domain.checkin_schema import (
    MAX_TASKS,
    CheckinAnswers,
    PriorTask,
    TaskItem,
    TaskStatus,
    resolution_impl_of,
)
from domain.checkin_task_rules import add_tasks, set_task_owner, unfinished_tasks

ENV = Env("vi", dt.date(2026, 5, 20), roster_size=10, names={}, postponed_reason="Hoãn")
PRIOR = [PriorTask(id=11, text="Thu hoạch chè", owner_id=1), PriorTask(id=12, text="Sửa đường")]
STALE = Problem("checkin.err.stale", {})


def held(**values: object) -> CheckinAnswers:
    return CheckinAnswers(held=True, meeting_type="regular", **values)


def ok(result: CheckinAnswers | Problem) -> CheckinAnswers:
    assert isinstance(result, CheckinAnswers), result
    return result


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], None),
        (["done"], "full"),
        (["done", "done", "done"], "full"),
        # One unfinished task among many never rounds up to "full".
        (["done"] * 9 + ["mostly"], "mostly"),
        (["done", "partly", "not"], "partly"),  # mean 4/3: rounded to 1
        (["done", "not"], "partly"),  # mean 1.5: half rounds down
        (["done", "mostly"], "mostly"),  # 2.5 → 2, capped below "full"
        (["not", "not"], "not"),
        (["partly", "not"], "not"),  # 0.5 → 0
        (["mostly", "partly"], "partly"),  # 1.5 → 1
        (["not", "done", "done"], "mostly"),  # 2
    ],
)
def test_the_indicator_from_the_tasks(statuses: list[TaskStatus], expected: str | None) -> None:
    assert resolution_impl_of(statuses) == expected


def test_the_review_replaces_the_single_rating_and_fills_its_column() -> None:
    plain = held()
    assert applies("resolution_impl", plain) and not applies("task_review", plain)
    a = held(prior_tasks=PRIOR, resolution_impl="full")
    assert applies("task_review", a) and not applies("resolution_impl", a)
    assert not answered("task_review", a) and a.pending_task() == PRIOR[0]
    assert a.to_columns()["resolution_impl"] is None  # the rating left over does not count
    a = ok(apply_button(a, "task_review", "partly.11", ENV))
    assert a.pending_task() == PRIOR[1] and a.effective_resolution_impl is None
    a = ok(apply_button(a, "task_review", "not.12", ENV))
    assert answered("task_review", a)
    assert a.to_columns()["resolution_impl"] == resolution_impl_of(["partly", "not"]) == "not"


def test_all_done_in_one_tap_and_forged_reviews() -> None:
    a = ok(apply_button(held(prior_tasks=PRIOR), "task_review", "all", ENV))
    assert a.task_review == {11: "done", 12: "done"}
    assert a.to_columns()["resolution_impl"] == "full"
    for forged in ("done.99", "great.11", "done.", "done.１１", "all.11", ""):
        assert apply_button(held(prior_tasks=PRIOR), "task_review", forged, ENV) == STALE
    assert apply_button(held(), "task_review", "all", ENV) == STALE


def test_the_review_is_asked_before_the_results_and_next_months_tasks() -> None:
    order = QUESTIONS.index
    assert order("task_review") < order("main_tasks") < order("next_tasks")
    assert order("next_tasks") < order("current_affairs")
    assert order("solidarity") < order("proposals")
    assert SECTION_OF["task_review"] == "results" and SECTION_OF["next_tasks"] == "content"


def test_typed_tasks_one_a_line_each_waiting_for_its_owner() -> None:
    a = ok(apply_text(held(), "next_tasks", "- Sửa đường\n\n2. Trồng rừng\n• Họp dân", ENV))
    assert [t.text for t in a.next_tasks or []] == ["Sửa đường", "Trồng rừng", "Họp dân"]
    assert a.next_tasks_unowned == 3 and not answered("next_tasks", a)
    # "3.000 cây" is not a list marker.
    b = ok(add_tasks(held(), "3.000 cây keo"))
    assert [t.text for t in b.next_tasks or []] == ["3.000 cây keo"]
    a = ok(apply_button(a, "next_tasks", "cell", ENV))
    assert (a.next_tasks or [])[0].owner_id is None and a.next_tasks_unowned == 2
    a = ok(set_task_owner(a, 7))
    a = ok(set_task_owner(a, 8))
    assert [t.owner_id for t in a.next_tasks or []] == [None, 7, 8]
    assert set_task_owner(a, 9) == STALE  # nobody is waiting for an owner
    assert not answered("next_tasks", a)
    a = ok(apply_button(a, "next_tasks", "done", ENV))
    assert answered("next_tasks", a) and "next_tasks" not in open_questions(a)


def test_bad_tasks_are_refused_with_what_is_expected() -> None:
    assert add_tasks(held(), " \n - \n•") == Problem("checkin.err.task_empty", {"max": 300})
    assert add_tasks(held(), "a\n" + "x" * 301) == Problem("checkin.err.task_long", {"max": 300})
    full = ok(add_tasks(held(), "\n".join(f"Việc {i}" for i in range(MAX_TASKS))))
    assert add_tasks(full, "Một việc nữa") == Problem(
        "checkin.err.task_many", {"max": MAX_TASKS, "left": 0}
    )
    assert accepts_text("next_tasks") and accepts_text("proposals")
    assert not accepts_text("task_review")
    # "Done" needs a task, and every owner tapped.
    assert apply_button(held(), "next_tasks", "done", ENV) == STALE
    one = ok(add_tasks(held(), "Sửa đường"))
    assert apply_button(one, "next_tasks", "done", ENV) == STALE


def test_remove_and_carry_over() -> None:
    tasks = [TaskItem(text="A", owner_id=1), TaskItem(text="B"), TaskItem(text="C")]
    a = held(next_tasks=tasks, next_tasks_unowned=1)
    b = ok(apply_button(a, "next_tasks", "x0", ENV))
    assert [t.text for t in b.next_tasks or []] == ["B", "C"] and b.next_tasks_unowned == 1
    c = ok(apply_button(a, "next_tasks", "x2", ENV))  # the one waiting for its owner
    assert [t.text for t in c.next_tasks or []] == ["A", "B"] and c.next_tasks_unowned == 0
    for forged in ("x3", "x", "x-1", "y0", "carry"):
        assert apply_button(a, "next_tasks", forged, ENV) == STALE, forged

    reviewed = held(prior_tasks=PRIOR, task_review={11: "partly", 12: "done"}, next_tasks=tasks)
    assert unfinished_tasks(reviewed) == [PRIOR[0]]
    d = ok(
        apply_button(
            reviewed.model_copy(update={"next_tasks_unowned": 1}), "next_tasks", "carry", ENV
        )
    )
    # Carried in before the task still waiting for its owner, with its owner and origin.
    assert [(t.text, t.owner_id, t.carried_from) for t in d.next_tasks or []] == [
        ("A", 1, None),
        ("B", None, None),
        ("Thu hoạch chè", 1, 11),
        ("C", None, None),
    ]
    assert unfinished_tasks(d) == []
    assert apply_button(d, "next_tasks", "carry", ENV) == STALE  # once only


def test_next_tasks_and_proposals_apply_where_they_should() -> None:
    assert applies("next_tasks", held())
    assert applies("next_tasks", CheckinAnswers(held=True, meeting_type="combined"))
    assert not applies("next_tasks", CheckinAnswers(held=True, meeting_type="thematic"))
    assert not applies("next_tasks", CheckinAnswers(held=False))
    assert applies("proposals", CheckinAnswers(held=True, meeting_type="thematic"))
    a = ok(apply_button(held(), "proposals", "none", ENV))
    assert a.proposals == "" and answered("proposals", a)
    assert a.to_columns()["proposals"] == ""
    b = ok(apply_text(held(), "proposals", "  Đề nghị hỗ trợ  ", ENV))
    assert b.proposals == "Đề nghị hỗ trợ"
    assert apply_text(held(), "proposals", "x" * 1001, ENV) == Problem(
        "checkin.err.text", {"max": 1000}
    )
    assert CheckinAnswers(held=False, proposals="x").to_columns()["proposals"] is None


def test_editing_the_content_section_walks_into_the_tasks() -> None:
    a = held(main_tasks="Thu hoạch", next_tasks=[TaskItem(text="A")], lists_done=["next_tasks"])
    assert next_question(a, "main_tasks", "content") == "next_tasks"
    assert next_question(a, "next_tasks", "content") == "current_affairs"


def test_not_held_clears_the_tasks_but_keeps_last_months() -> None:
    a = held(
        prior_tasks=PRIOR,
        task_review={11: "done"},
        next_tasks=[TaskItem(text="A")],
        next_tasks_unowned=1,
        proposals="",
    )
    b = clear_meeting(a)
    assert b.prior_tasks == PRIOR
    assert (b.task_review, b.next_tasks, b.next_tasks_unowned, b.proposals) == ({}, None, 0, None)
