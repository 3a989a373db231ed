"""Words and numbers for the class: a "what just happened" line per year, the lesson guide's key
numbers, and the poverty lines the teacher can pick.

Pure functions of :class:`sim.viz.session.YearRecord` lists (no web stack).

Poverty lines come from :data:`sim.poverty.POVERTY_LINES` (an ordered mapping key -> object with
``.label`` and ``.meaning``) when the model has it; until then only the official line is offered.
Outcome columns are ``{group}poverty_{headcount|gap|severity}{suffix}``, suffix '' for the official
line and ``_{key}`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .session import CAP_BINDS, YearRecord


@dataclass(frozen=True)
class _OfficialLine:
    label: str = "Official rural line (2,300 yuan a year at 2010 prices)"
    meaning: str = ("China's official rural poverty line: a person is poor if their disposable income is below "
                    "2,300 yuan a year at 2010 prices (about 2.2 dollars a day at purchasing-power parity).")


def poverty_lines() -> Mapping[str, Any]:
    """The poverty lines the model reports, official first."""
    try:
        from sim.poverty import POVERTY_LINES  # added by the model's poverty module (issue 8)
    except ImportError:
        return {"official": _OfficialLine()}
    return POVERTY_LINES


# group prefix, words; the urban group was called urban_hukou_ before the poverty module
POVERTY_GROUPS = (
    ("migrant_", "migrants in cities"),
    ("villager_", "urban villagers"),
    ("rural_", "rural, at home"),
    ("urban_", "urban hukou"),
)
_ALIASES = {"urban_": ("urban_", "urban_hukou_")}


def poverty_column(group: str, line: str, measure: str = "headcount") -> str:
    suffix = "" if line == "official" else f"_{line}"
    return f"{group}poverty_{measure}{suffix}"


def poverty_value(metrics: Mapping[str, float], group: str, line: str, measure: str = "headcount") -> float:
    """A group's poverty measure at ``line`` (NaN if the model does not report it)."""
    for prefix in _ALIASES.get(group, (group,)):
        column = poverty_column(prefix, line, measure)
        if column in metrics:
            return float(metrics[column])
    return float("nan")


def available_lines(metrics: Mapping[str, float]) -> list[str]:
    """Keys of the poverty lines whose headcount the model reports."""
    return [k for k in poverty_lines() if poverty_column("", k) in metrics]


def _people(n: float) -> str:
    n = float(n)
    if abs(n) >= 1e6:
        return f"{n / 1e6:.1f}M"
    if abs(n) >= 1e3:
        return f"{n / 1e3:.0f}k"
    return f"{n:.0f}"


def _signed(n: float) -> str:
    return ("+" if n >= 0 else "−") + _people(abs(n))


def what_happened(records: Sequence[YearRecord], names: Sequence[str], line: str = "official") -> str:
    """One plain sentence on the last year of ``records`` (policies starting, caps binding, movers)."""
    now = records[-1]
    if len(records) < 2:
        return f"{now.year}: the start. {_poverty_words(now, line)}"
    before = records[-2]
    parts: list[str] = []
    if now.policies:
        parts.append(" and ".join(now.policies) + " begins" + ("" if len(now.policies) == 1 else "s"))
    binding = [i for i in np.flatnonzero(now.capped) if now.population[i] >= CAP_BINDS * now.cap[i]]
    if binding:
        i = max(binding, key=lambda j: now.population[j])
        change = now.migrants[i] - before.migrants[i]
        others = f" (and {len(binding) - 1} more)" if len(binding) > 1 else ""
        away = ""
        if now.refused is not None and now.refused.size == now.population.size and now.refused[i] > 0:
            away = f", {_people(now.refused[i])} migrants turned away"
        parts.append(f"{names[i]}'s cap binds{others}: {_people(now.population[i])} residents at a "
                     f"{_people(now.cap[i])} cap{away}, migrants there {_signed(change)}")
    elif now.capped.any() and not before.capped.any():
        parts.append("caps fixed at " + ", ".join(f"{names[i]} {_people(now.cap[i])}"
                                                  for i in np.flatnonzero(now.capped)[:4]))
    founded = np.flatnonzero(now.active & ~before.active)
    for i in founded:
        parts.append(f"{names[i]} is founded")
    inflow = now.migrants - before.migrants
    if inflow.size and inflow.max() > 0:
        i = int(np.argmax(inflow))
        parts.append(f"most new migrants went to {names[i]} ({_signed(inflow[i])})")
    parts.append(_poverty_words(now, line, before))
    return f"{now.year}: " + "; ".join(parts)


def _poverty_words(now: YearRecord, line: str, before: YearRecord | None = None) -> str:
    value = poverty_value(now.metrics, "migrant_", line)
    if not np.isfinite(value):
        return ""
    text = f"migrant poverty {value:.0%}"
    if before is not None:
        old = poverty_value(before.metrics, "migrant_", line)
        if np.isfinite(old):
            text += f" ({(value - old) * 100:+.1f} points)"
    return text + "."


def key_numbers(now: YearRecord, line: str = "official") -> list[tuple[str, str, str]]:
    """(name, value, what it means) for the lesson guide's numbers in the year shown."""
    m = now.metrics
    out = [
        ("Zipf exponent", f"{m.get('zipf_exponent', float('nan')):.2f}",
         "above 1 = flatter city sizes than Zipf's law"),
        ("Primacy", f"{m.get('primacy', float('nan')):.2f}", "largest city / second largest"),
        ("Living in cities", f"{m.get('urbanization_rate', float('nan')):.0%}", "resident urbanization"),
        ("Urban hukou", f"{m.get('hukou_urbanization_rate', float('nan')):.0%}", "hukou urbanization"),
        ("Poverty, all", _pct(poverty_value(m, "", line)), "share below the line"),
    ]
    for group, words in POVERTY_GROUPS:
        out.append((f"Poverty, {words}", _pct(poverty_value(m, group, line)), "share of the group below the line"))
    return out


def _pct(x: float) -> str:
    return f"{x:.1%}" if np.isfinite(x) else "n/a"


# The page's plain-words panel: each mechanism, and what to watch for.
MECHANISMS = """
**Migration.** Every year some rural people compare what they would earn, pay and get in a few
cities they know of (big and near ones first) with staying at home, and move if a city looks
better. Expected income counts the chance of a formal job, which is lower without local hukou.

**Hukou.** The household registration decides who gets a city's schools, hospitals, insurance
and minimum-income guarantee. Migrants live in the city but keep a rural hukou: they are the gap
between the two urbanization lines. Cities admit a few of them to local hukou each year.

**Urban villages and the new urban poor.** Most migrants rent rooms from urban villagers
(farmers whose land the city took). Poor migrants are reached by neither the urban guarantee
(wrong hukou) nor the rural one (not at home): watch migrant poverty against the other groups.

**Cap and enforcement.** A capped city that is over its cap enforces: it tears down added floors,
excludes migrants' children from school, clears street markets and evicts. Enforcement intensity
scales all four. Watch the capped circles (black rings) and where the pushed-out migrants go.

**Decentralization.** The largest cities' excess formal jobs and public-service budgets are moved
to smaller cities. Watch whether smaller cities grow and whether total urbanization holds up.

**Hukou reform.** All residents get equal services and guarantees, and more migrants convert.
Watch the hukou line rise towards the resident line and migrant poverty fall.

**Reading the plots.** Rank-size: each city's residents against its rank, on log axes; a straight
line is Zipf's law, and a flatter line means more equal city sizes (a higher Zipf exponent).
Primacy is the largest city's size over the second's.
"""
