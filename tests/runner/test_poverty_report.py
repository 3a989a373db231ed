"""The report's poverty section: one table and paragraph per line, differences that exclude zero named."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.poverty import POVERTY_LINES, column
from sim.runner.poverty_report import line_columns, poverty_differences, poverty_section


def _final(shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for sc, extra in (("neutral", 0.0), ("cap", shift)):
        for rep in range(20):
            row = {"scenario": sc, "replication": rep}
            for key in POVERTY_LINES:
                for prefix in ("", "migrant_", "villager_", "rural_", "urban_hukou_"):
                    for measure in ("headcount", "gap", "severity"):
                        bump = extra if (prefix == "migrant_" and measure == "headcount") else 0.0
                        row[column(prefix, measure, key)] = 0.1 + bump + rng.normal(0, 0.001)
            rows.append(row)
    return pd.DataFrame(rows)


def test_every_line_gets_a_table_and_the_clear_difference_is_named():
    text = poverty_section(_final(0.02), ["neutral", "cap"], "neutral")
    for line in POVERTY_LINES.values():
        assert f"### {line.label}" in text and line.meaning in text
    assert text.count("`cap`: more poor among migrants (+") == len(POVERTY_LINES)
    assert "for everyone, urban villagers, rural residents, urban hukou holders the interval includes zero" in text


def test_no_difference_is_said_as_such():
    text = poverty_section(_final(0.0), ["neutral", "cap"], "neutral")
    assert text.count("no headcount difference from `neutral` excludes zero") == len(POVERTY_LINES)
    diff = poverty_differences(_final(0.0), ["neutral", "cap"], "neutral")
    assert len(diff) == len(POVERTY_LINES) * 5 * 3
    assert "poverty_headcount_wb365" in line_columns() and "poverty_headcount" not in line_columns()
