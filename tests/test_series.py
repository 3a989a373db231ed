"""Observed series: the bundled files load; broken ones are one-line errors naming file and field."""

from __future__ import annotations

import pytest

from sim import series
from sim.errors import InputError


def test_bundled_series_cover_the_run_years_without_gaps():
    g = series.bundled("china_growth")
    assert g.first <= 1982 and g.last >= 2022
    d = series.bundled("dibao_standards")
    assert (d.first, d.last) == (2007, 2020)
    h = series.ChinaHistory(1982, 0.07, 0.04, 0.05)
    assert h.price_level(2010) == 1.0
    assert h.urban_productivity(1982) == 1.0 and h.urban_productivity(2010) > 4.0
    urban, rural = h.dibao_levels(2007)
    # 2007: 182 yuan a month urban, 840 a year rural (targets.md), deflated to 2010 prices
    assert urban == pytest.approx(12 * 182 / h.price_level(2007))
    assert rural == pytest.approx(840 / h.price_level(2007))
    # township and village enterprise employment: observed 1982-2010, the nearest year outside
    assert h.rural_industry_jobs(1990) == pytest.approx(92.65e6)
    assert h.rural_industry_jobs(1981) == h.rural_industry_jobs(1982)
    assert h.rural_industry_jobs(2020) == h.rural_industry_jobs(2010)
    assert h.graduates(2010) == pytest.approx(5.754e6) and h.graduates(2030) == h.graduates(2023)


def test_growth_index_uses_the_fallback_outside_the_series(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("year,g\n2000,10\n2001,10\n")
    s = series.load(f)
    assert s.growth_index("g", 1999, 2001, 0.0) == pytest.approx(1.21)
    assert s.growth_index("g", 2001, 2003, 0.05) == pytest.approx(1.05**2)
    assert s.growth_index("g", 2001, 1999, 0.0) == pytest.approx(1 / 1.21)


@pytest.mark.parametrize("text, field", [
    ("year,g\n2000,1\n2002,1\n", "year"),  # a gap
    ("year,g\n2000,1\n2001,x\n", "line 3: g"),  # not a number
    ("year,g\n2000,1\n2001,nan\n", "line 3: g"),
    ("year,g\n2000,1,3\n", "line 2"),
    ("g,year\n1,2000\n", "year"),
    ("", "year"),
])
def test_broken_series_files_are_input_errors(tmp_path, text, field):
    f = tmp_path / f"bad{abs(hash(text))}.csv"
    f.write_text(text)
    with pytest.raises(InputError) as e:
        series.load(f)
    assert str(f) in str(e.value) and field in str(e.value)
