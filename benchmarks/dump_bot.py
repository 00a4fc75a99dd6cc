"""The bot's part of benchmarks/dump.py: the real Application driven offline
(tests/harness.py) by an admin through /summary, /ranking, /cell, /missing and /export, every
reply and sent file recorded.
"""

from __future__ import annotations

import json
import time
from typing import Any

from benchmarks.dump_common import Out, Picks, xlsx_values

ADMIN_VI = 4_000_000_001
ADMIN_EN = 4_000_000_002


def _keyboard(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    return [
        " | ".join(f"[{b['text']}] → {b.get('callback_data') or b.get('url') or ''}" for b in row)
        for row in markup.get("inline_keyboard", [])
    ]


SKIP_METHODS = {"getMe", "sendChatAction", "deleteMyCommands", "setMyCommands"}
PARAMS_SHOWN = ("text", "caption", "show_alert", "parse_mode", "message_id")


class Bot:
    """The real Application, offline, with documents' bytes captured."""

    def __init__(self, url: str, out: Out) -> None:
        self.url = url
        self.out = out
        self.files: list[dict[str, Any]] = []
        self.step = 0

    async def __aenter__(self) -> Bot:
        from storage.db import create_engine, create_session_factory
        from tests.harness import TgUser, make_settings, start_driver

        self.engine = create_engine(self.url)
        sessions = create_session_factory(self.engine)
        settings = make_settings(self.url, admin_telegram_ids=[ADMIN_VI, ADMIN_EN])
        self.driver = await start_driver(settings, sessions)
        original = self.driver.request.do_request
        files = self.files

        async def capture(*args: Any, **kwargs: Any) -> tuple[int, bytes]:
            data = kwargs.get("request_data")
            if data is not None and data.multipart_data:
                files.append(dict(data.multipart_data))
            return await original(*args, **kwargs)

        self.driver.request.do_request = capture  # type: ignore[method-assign]
        self.vi = TgUser(ADMIN_VI, "Quản", "Trị", "vi")
        self.en = TgUser(ADMIN_EN, "Admin", "Root", "en")
        return self

    async def __aexit__(self, *exc: object) -> None:
        from tests.harness import stop_driver

        await stop_driver(self.driver)
        await self.engine.dispose()

    def _render(self, label: str, calls: list[Any], files_before: int) -> str:
        lines = [f"> {label}"]
        for call in calls:
            if call.method in SKIP_METHODS:
                continue
            lines.append(f"== {call.method}")
            for key in PARAMS_SHOWN:
                if key in call.params and key != "text":
                    lines.append(f"{key}: {call.params[key]}")
            if "text" in call.params:
                lines.append(str(call.params["text"]))
            lines += _keyboard(call.params)
        for n, part in enumerate(self.files[files_before:]):
            for key, value in part.items():
                name, content = value[0], value[1]
                lines.append(f"== file {n} {key} {name} ({len(content)} bytes)")
        return "\n".join(lines) + "\n"

    async def _record(self, name: str, label: str, run: Any) -> list[Any]:
        self.step += 1
        before = len(self.files)
        started = time.perf_counter()
        calls = await run
        seconds = time.perf_counter() - started
        self.out.write(f"bot/{name}.txt", self._render(label, calls, before))
        for n, part in enumerate(self.files[before:]):
            for value in part.values():
                file_name, content = str(value[0]), bytes(value[1])
                if file_name.endswith(".xlsx"):
                    self.out.write(f"bot/{name}.file{n}.xlsx.values.txt", xlsx_values(content))
                else:
                    self.out.write(f"bot/{name}.file{n}.{file_name.rsplit('.', 1)[-1]}", content)
        self.out.timed(f"bot {name}: {label}", seconds)
        return list(calls)

    async def send(self, user: Any, name: str, text: str) -> list[Any]:
        return await self._record(name, text, self.driver.send(user, text))

    async def press(self, user: Any, name: str, data: str) -> list[Any]:
        return await self._record(name, f"[button] {data}", self.driver.press(user, data))


def buttons_of(calls: list[Any], prefix: str) -> list[tuple[str, str]]:
    return [b for call in calls for b in call.buttons() if b[1].startswith(prefix)]


async def drill_summary(
    bot: Bot, user: Any, name: str, calls: list[Any], unit_id: int, depth: int, width: int
) -> None:
    """Press the first `width` children of this /summary view and recurse `depth` levels.
    At the top, also the pager, the period row and the way up."""
    found = buttons_of(calls, "sv:sum:") + buttons_of(calls, "sv:cell:")
    children = []
    others = []
    for text, data in found:
        parts = data.split(":")
        target = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
        if target is not None and target != unit_id and text not in ("⬆", "◀", "▶"):
            children.append((text, data, target))
        else:
            others.append(data)
    # The "up" button targets the parent; it is pressed below at the top only.
    if depth == 0:
        return
    for i, (_text, data, target) in enumerate(children[:width]):
        sub = await bot.press(user, f"{name}.{i}", data)
        if data.startswith("sv:sum:"):
            await drill_summary(bot, user, f"{name}.{i}", sub, target, depth - 1, width)


async def dump_bot(out: Out, url: str, picks: Picks, year: str, month: str) -> None:
    quarter = f"{year}-Q3"
    last_year = str(int(year) - 1)
    async with Bot(url, out) as bot:
        vi, en = bot.vi, bot.en
        await bot.send(vi, "start", "/start")
        # /summary: several periods at the top; two of them drilled to every level.
        for tag, command in (
            ("now", "/summary"),
            (quarter, f"/summary {quarter}"),
            (last_year, f"/summary {last_year}"),
        ):
            await bot.send(vi, f"summary/{tag}", command)
        for period in (year, month):
            top = await bot.send(vi, f"summary/{period}/top", f"/summary {period}")
            await drill_summary(bot, vi, f"summary/{period}/top", top, picks.province.id, 3, 2)
            # every other button of the top view once: pager, period row
            for n, (_t, data) in enumerate(buttons_of(top, "sv:sum:")):
                if f":{picks.province.id}:" in data:
                    await bot.press(vi, f"summary/{period}/top.btn{n}", data)
            # the way up from a commune-level unit
            commune = await bot.press(
                vi, f"summary/{period}/commune", f"sv:sum:{picks.commune.id}:{period}:0"
            )
            for n, (_t, data) in enumerate(buttons_of(commune, "sv:sum:")):
                if f":{picks.district.id}:" in data:
                    await bot.press(vi, f"summary/{period}/commune.up{n}", data)
        top = await bot.send(en, f"summary/{year}/en", f"/summary {year}")
        await drill_summary(bot, en, f"summary/{year}/en", top, picks.province.id, 2, 1)

        # /ranking and each of its buttons once
        for period in (year, month):
            calls = await bot.send(vi, f"ranking/{period}/top", f"/ranking {period}")
            for n, (_t, data) in enumerate(buttons_of(calls, "sv:rank:")):
                sub = await bot.press(vi, f"ranking/{period}/btn{n}", data)
                if n == 0:
                    for m, (_t2, data2) in enumerate(buttons_of(sub, "sv:rank:")):
                        await bot.press(vi, f"ranking/{period}/btn{n}.{m}", data2)
        await bot.send(vi, "ranking/now", "/ranking")
        await bot.send(en, f"ranking/{year}/en", f"/ranking {year}")

        # /cell by code, by a part of a name, and its buttons
        for i, cell in enumerate(picks.cells):
            calls = await bot.send(vi, f"cell/{i}-{cell.code}", f"/cell {cell.code}")
            if i == 0:
                for n, (_t, data) in enumerate(buttons_of(calls, "sv:")):
                    await bot.press(vi, f"cell/{i}-{cell.code}.btn{n}", data)
        fragment = picks.cells[0].name.split()[0]
        calls = await bot.send(vi, "cell/search", f"/cell {fragment}")
        for n, (_t, data) in enumerate(buttons_of(calls, "sv:cell:")[:2]):
            await bot.press(vi, f"cell/search.btn{n}", data)
        await bot.send(vi, "cell/none", "/cell zzzz-no-such-cell")
        await bot.send(en, "cell/en", f"/cell {picks.cells[0].code}")

        # /missing and its buttons (not "remind them now": it writes)
        for tag, command in (("now", "/missing"), (month, f"/missing {month}")):
            calls = await bot.send(vi, f"missing/{tag}", command)
            for n, (_t, data) in enumerate(buttons_of(calls, "sv:mis:")):
                await bot.press(vi, f"missing/{tag}.btn{n}", data)
        for n, unit in enumerate((picks.district, picks.commune)):
            await bot.press(vi, f"missing/{month}.unit{n}", f"sv:mis:{unit.id}:{month}:0")

        # /export: the province (year and month, XLSX and CSV), a district and a commune
        for period in (month, year):
            await bot.send(vi, f"export/province-{period}-xlsx", f"/export {period}")
            await bot.send(vi, f"export/province-{period}-csv", f"/export {period} csv")
        for unit in (picks.district, picks.commune):
            for period in (month, year):
                for fmt in ("x", "c"):
                    await bot.press(
                        vi,
                        f"export/{unit.kind}-{unit.code}-{period}-{fmt}",
                        f"sv:exp:{unit.id}:{period}:{fmt}",
                    )
        await bot.send(en, f"export/province-{month}-xlsx-en", f"/export {month}")
        await bot.send(en, f"export/province-{month}-csv-en", f"/export {month} csv")
