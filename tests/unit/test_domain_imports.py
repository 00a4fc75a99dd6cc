"""domain/ is the pure floor: the rules import nothing of the project outside domain/ and none
of the frameworks around them (Telegram, the database, Babel, the file and chart writers). The
test reads every module's imports from its source, so an import inside a function or under
`if TYPE_CHECKING:` counts too, and nothing has to be imported to be checked."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "domain"
PROJECT = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} - {"domain"}
FORBIDDEN = PROJECT | {
    "telegram",
    "sqlalchemy",
    "babel",
    "openpyxl",
    "matplotlib",
    "alembic",
    "aiosqlite",
    "asyncpg",
}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in `source`; relative imports stay inside
    their package, so they are reported as "domain"."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            top = "domain" if node.level else (node.module or "").split(".")[0]
            found.append((node.lineno, top))
    return found


def test_the_project_packages_are_found() -> None:
    # Guards the guard: if the layout changed, PROJECT would silently be empty.
    assert {"bot", "handlers", "storage", "schedules"} <= PROJECT


def test_domain_imports_only_itself_and_allowed_libraries() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert modules, "no modules under domain/"
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {top}"
        for path in modules
        for line, top in imported_modules(path.read_text(encoding="utf-8"))
        if top in FORBIDDEN
    ]
    assert bad == []


def test_the_walk_sees_every_kind_of_import() -> None:
    source = (
        "import telegram.ext\n"
        "from storage.models import Checkin\n"
        "from . import periods\n"
        "def f():\n"
        "    import sqlalchemy as sa\n"
        "if TYPE_CHECKING:\n"
        "    from bot.i18n import t\n"
    )
    assert imported_modules(source) == [
        (1, "telegram"),
        (2, "storage"),
        (3, "domain"),
        (5, "sqlalchemy"),
        (7, "bot"),
    ]
