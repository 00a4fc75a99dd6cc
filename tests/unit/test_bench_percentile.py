"""The benchmark's percentiles are nearest-rank: of 100 samples, p99 is the second slowest."""

from __future__ import annotations

import math
import random

from benchmarks.scenarios.base import Latencies, percentile


def test_nearest_rank_of_a_hundred() -> None:
    samples = [float(v) for v in range(1, 101)]
    random.Random(7).shuffle(samples)
    assert percentile(samples, 99) == 99.0  # the second slowest, not the slowest
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 100) == 100.0
    assert percentile(samples, 0) == 1.0


def test_nearest_rank_of_other_sizes() -> None:
    assert percentile([float(v) for v in range(1, 1001)], 99) == 990.0
    assert percentile([float(v) for v in range(1, 301)], 99) == 297.0
    assert percentile([5.0], 99) == 5.0
    assert percentile([2.0, 1.0], 50) == 1.0
    assert math.isnan(percentile([], 99))


def test_latencies_report_milliseconds() -> None:
    assert Latencies(samples=[i / 1000 for i in range(1, 101)]).ms(99) == 99.0
