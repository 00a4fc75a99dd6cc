"""The pure parts of bot/docx_minutes.py: the end time, the header lines, the task lines."""

from __future__ import annotations

from bot.docx_minutes import DOTS, end_time, task_lines, unit_line


def test_end_time_is_start_plus_duration() -> None:
    assert end_time("19:30", 90) == "21:00"
    assert end_time("23:15", 60) == "00:15"  # past midnight, as a clock reads
    assert end_time(None, 90) is None and end_time("08:00", None) is None


def test_a_unit_name_that_says_what_it_is_keeps_its_words() -> None:
    assert unit_line("Đảng bộ", "Đảng bộ xã Lục Hồn") == "ĐẢNG BỘ XÃ LỤC HỒN"
    assert unit_line("Đảng bộ", "Đảng ủy Khối các cơ quan tỉnh") == "ĐẢNG ỦY KHỐI CÁC CƠ QUAN TỈNH"
    assert unit_line("Chi bộ", "Thôn Nà Làng") == "CHI BỘ THÔN NÀ LÀNG"
    assert unit_line("Đảng bộ", None) == f"ĐẢNG BỘ {DOTS}"


def test_task_lines_one_per_line_without_bullets() -> None:
    assert task_lines("- Thu hoạch chè\n\n• Sửa đường  \n") == ["Thu hoạch chè", "Sửa đường"]
    assert task_lines(None) == []
