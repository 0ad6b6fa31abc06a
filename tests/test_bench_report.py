"""The bench report's issue-target lines say met, NOT met or not measured from a run's results."""

from __future__ import annotations

from typing import Any

from bench.report import NO_PAGE_CACHE, markdown, target_lines


def load(rps: dict[str, float]) -> dict[str, Any]:
    """A load pass as bench/targets.py summarises it: req/s per URL name."""
    return {
        "workers": 1,
        "targets": {
            name: {
                "rps": value,
                "rps_min": value,
                "rps_max": value,
                "p50_ms": 1.0,
                "p95_ms": 2.0,
                "p99_ms": 3.0,
                "errors": 0,
                "requests": 1000,
                "bytes_ok": True,
            }
            for name, value in rps.items()
        },
        "checks": {},
        "loadavg_before": "1 1 1",
        "loadavg_after": "1 1 1",
    }


def page(name: str, p95: float) -> dict[str, Any]:
    return {
        "name": name,
        "path": "/",
        "user": None,
        "queries_cold": 2,
        "queries_warm": 2,
        "ms_p50": p95 / 2,
        "ms_p95": p95,
        "bytes": 100,
    }


def small_scale() -> dict[str, Any]:
    main = load(
        {
            "constant view (floor)": 1000.0,
            "search": 250.0,
            "reviewer dashboard": 150.0,
            "editor dashboard": 90.0,
        }
    )
    no_cache = {
        "constant view (floor)": 1000.0,
        "article page": 230.0,
        "read API detail": 290.0,
        "home page": 310.0,
        "topic page": 300.0,
        "article history (public)": 200.0,
    }
    return {
        "scale": 1000,
        "database": "editorial_bench_1000",
        "generate": {"reused": True},
        "reads": {
            "repeat": 30,
            "pages": [
                page("search", 30),
                page("reviewer dashboard", 20),
                page("editor dashboard", 40),
            ],
        },
        "load": {"1": main},
        "load_variants": {NO_PAGE_CACHE: load(no_cache)},
    }


def line(lines: list[str], start: str) -> str:
    found = [x for x in lines if x.startswith(start)]
    assert len(found) == 1, (start, lines)
    return found[0]


def test_ratio_targets_are_met_or_not_met_with_the_measured_ratio() -> None:
    lines = target_lines({"1000": small_scale()})
    assert line(lines, "article page, no page cache at 1,000") == (
        "article page, no page cache at 1,000: 0.230× (target >= 0.2×) - met"
    )
    assert line(lines, "read API detail, no page cache").endswith(
        "0.290× (target >= 0.3×) - NOT met"
    )
    assert line(lines, "home page, no page cache").endswith("- met")
    assert line(lines, "topic page, no page cache").endswith("0.300× (target >= 0.3×) - met")
    assert line(lines, "public history, no page cache").endswith("0.200× (target >= 0.2×) - met")
    assert line(lines, "search at 1,000").endswith("0.250× (target >= 0.2×) - met")
    assert line(lines, "editor dashboard at 1,000").endswith("0.090× (target >= 0.1×) - NOT met")


def test_targets_of_the_large_scale_are_not_measured_without_it() -> None:
    lines = target_lines({"1000": small_scale()})
    assert line(lines, "search, a word in every article, in-process p95 at 100,000") == (
        "search, a word in every article, in-process p95 at 100,000: not measured (target <= 50 ms)"
    )
    assert line(lines, "generating 100,000 articles").endswith("not measured (target < 30 min)")


def test_growth_search_p95_and_generation_are_read_from_the_large_scale() -> None:
    large = small_scale()
    large["reads"]["pages"] = [
        page("search", 61),
        page("search, a word in every article", 4),
        page("search, a word in every article, results not kept", 49),
        page("reviewer dashboard", 29),  # 1.45× of 20 ms
        page("editor dashboard", 80),  # 2× of 40 ms
    ]
    large["generate"] = {"total_seconds": 25 * 60}
    lines = target_lines({"1000": small_scale(), "100000": large})
    assert line(lines, "search, in-process p95").endswith("61.0 ms (target <= 50 ms) - NOT met")
    assert line(lines, "search, a word in every article, in-process").endswith(
        "4.0 ms (target <= 50 ms) - met"
    )
    assert line(lines, "search, a word in every article, results not kept").endswith(
        "49.0 ms (target <= 50 ms) - met"
    )
    assert not [x for x in lines if x.startswith("search, results not kept")]  # not measured
    assert line(lines, "reviewer dashboard, in-process p95").endswith(
        "1.45× (20.0 → 29.0 ms) (target <= 1.5×) - met"
    )
    assert line(lines, "editor dashboard, in-process p95").endswith("- NOT met")
    assert line(lines, "generating 100,000 articles").endswith("25.0 min (target < 30 min) - met")


def test_a_pass_without_the_page_might_be_missing_and_says_so() -> None:
    scale = small_scale()
    del scale["load_variants"][NO_PAGE_CACHE]["targets"]["topic page"]
    assert line(target_lines({"1000": scale}), "topic page, no page cache").endswith(
        "not measured (target >= 0.3×)"
    )


def test_the_markdown_report_carries_the_no_page_cache_column_and_the_target_lines() -> None:
    results = {
        "started": "2026-12-02T01:00:00+00:00",
        "cpus": 2,
        "loadavg_start": "1 1 1",
        "loadavg_end": "1 1 1",
        "client": "wrk",
        "peer": "absent",
        "settings": {"conc": 8, "duration": 5, "warmup": 1, "reps": 1},
        "scales": {"1000": small_scale()},
    }
    text = markdown(results)
    assert "req/s, no page cache (1w) | × constant, no page cache (1w) |" in text
    assert "| search | 2 | 250.0 [250.0–250.0] | 3.0 | 0.250 | – | – |" in text
    assert "- article page, no page cache at 1,000: 0.230× (target >= 0.2×) - met" in text
