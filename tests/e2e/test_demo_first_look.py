"""A new supervisor's first look at the small demo: /summary and /chart of Lục Hồn show a year
of real figures (the real Application, both databases, at any pinned instant)."""

from __future__ import annotations

from domain import clock
from domain.periods import add_months, month_start
from storage.synthetic.demo import seed_demo
from tests.e2e.test_supervisor_views import sv_driver
from tests.factories import onboard
from tests.harness import Driver, TgUser, texts

__all__ = ["sv_driver"]
SUPERVISOR = TgUser(3101, "Thắng", "Hoàng Văn", "vi")


async def test_summary_and_chart_of_the_demo_commune(sv_driver: Driver) -> None:
    async with sv_driver.sessions.begin() as session:
        await seed_demo(session, seed=2024)
    await onboard(sv_driver, SUPERVISOR, "QN-LH", "supervisor")
    year = add_months(month_start(clock.today()), -1).year  # the year of last month

    text = texts(await sv_driver.send(SUPERVISOR, f"/summary {year}"))
    assert "Đảng bộ xã Lục Hồn" in text and "Chi bộ thôn Lục Nà" in text
    assert "(21 chi bộ)" in text and "chưa có số liệu" not in text.split("\n\n")[0]

    calls = await sv_driver.send(SUPERVISOR, f"/chart {year}")
    assert len([c for c in calls if c.method == "sendPhoto"]) == 2
