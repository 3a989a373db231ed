"""The report's poverty section: every poverty line, its policy differences with intervals, and a paragraph
per line saying which differences exclude zero.  The numbers are the model's; the words only read them."""

from __future__ import annotations

import math

import pandas as pd

from ..poverty import GROUP_PREFIXES, MEASURES, POVERTY_LINES, column
from ..stats import welch_interval

GROUP_NAMES = {"": "everyone", "migrant_": "migrants", "villager_": "urban villagers", "rural_": "rural residents",
               "urban_hukou_": "urban hukou holders"}


HEADLINE = {"poverty_headcount", "poverty_gap", "poverty_severity", "migrant_poverty_headcount",
            "villager_poverty_headcount", "rural_poverty_headcount", "urban_hukou_poverty_headcount"}


def section_columns() -> set[str]:
    """Every FGT column this section reports, less the headline ones the main tables keep."""
    return {column(prefix, measure, key) for key in POVERTY_LINES for prefix in GROUP_PREFIXES
            for measure in MEASURES} - HEADLINE


def line_columns() -> set[str]:
    """Every FGT column of the lines other than the official one (the main tables leave them to this section)."""
    return {column(prefix, measure, key) for key in POVERTY_LINES if key != "official"
            for prefix in GROUP_PREFIXES for measure in MEASURES}


def poverty_differences(final: pd.DataFrame, order: list[str], baseline: str) -> pd.DataFrame:
    """One row per line, group, measure and scenario: difference from the baseline with a Welch 95% interval."""
    base = final[final["scenario"] == baseline]
    rows = []
    for key in POVERTY_LINES:
        for prefix in GROUP_PREFIXES:
            for measure in MEASURES:
                name = column(prefix, measure, key)
                if name not in final.columns:
                    continue
                for sc in order:
                    if sc == baseline:
                        continue
                    d, lo, hi = welch_interval(final.loc[final["scenario"] == sc, name], base[name])
                    rows.append({"line": key, "group": prefix, "measure": measure, "output": name, "scenario": sc,
                                 "baseline_mean": float(base[name].mean()) if len(base) else math.nan,
                                 "difference": d, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def _excludes_zero(row) -> bool:
    return math.isfinite(row.ci_low) and (row.ci_low > 0 or row.ci_high < 0)


def _pp(x: float) -> str:
    return f"{x * 100:+.2f} pp"


def poverty_section(final: pd.DataFrame, order: list[str], baseline: str) -> str:
    """Markdown: for each line a table of headcount differences by group (gap and severity for everyone) and a
    paragraph naming the differences whose 95% interval excludes zero."""
    diff = poverty_differences(final, order, baseline)
    if diff.empty:
        return ""
    others = [s for s in order if s != baseline]
    parts = ["## Poverty at every line", "",
             f"Differences from `{baseline}` in the final year, in percentage points of the group's people (FGT "
             "P0 = headcount; P1 = gap and P2 = severity, for everyone), with Welch 95% intervals across "
             "replications; * marks an interval that excludes 0.", ""]
    for key, line in POVERTY_LINES.items():
        sub = diff[diff["line"] == key]
        if sub.empty:
            continue
        parts += [f"### {line.label}", "", line.meaning, ""]
        header = ["group (measure)", f"`{baseline}`"] + [f"`{s}` − `{baseline}`" for s in others]
        rows = []
        for prefix, measure in [(g, "headcount") for g in GROUP_PREFIXES] + [("", "gap"), ("", "severity")]:
            cells = sub[(sub["group"] == prefix) & (sub["measure"] == measure)]
            if cells.empty:
                continue
            row = [f"{GROUP_NAMES[prefix]} ({measure})", f"{cells.iloc[0].baseline_mean * 100:.2f}%"]
            for sc in others:
                r = cells[cells["scenario"] == sc]
                if r.empty:
                    row.append("–")
                    continue
                r = r.iloc[0]
                star = " *" if _excludes_zero(r) else ""
                row.append(f"{_pp(r.difference)} [{_pp(r.ci_low)}, {_pp(r.ci_high)}]{star}")
            rows.append(row)
        parts += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        parts += ["| " + " | ".join(r) + " |" for r in rows] + [""]
        parts += [_paragraph(sub[sub["measure"] == "headcount"], others, baseline), ""]
    return "\n".join(parts)


def _paragraph(headcounts: pd.DataFrame, others: list[str], baseline: str) -> str:
    sentences = []
    for sc in others:
        rows = headcounts[headcounts["scenario"] == sc]
        clear = [r for r in rows.itertuples() if _excludes_zero(r)]
        if not clear:
            sentences.append(f"`{sc}`: no headcount difference from `{baseline}` excludes zero.")
            continue
        said = ", ".join(f"{'more' if r.difference > 0 else 'fewer'} poor among {GROUP_NAMES[r.group]} "
                         f"({_pp(r.difference)})" for r in clear)
        unclear = [GROUP_NAMES[r.group] for r in rows.itertuples() if not _excludes_zero(r)]
        tail = f"; for {', '.join(unclear)} the interval includes zero" if unclear else ""
        sentences.append(f"`{sc}`: {said}{tail}.")
    return " ".join(sentences)
