"""China's dated reforms as policies: each comes into force in its year and changes the rules of the
year (movement controls, hukou conversion, guarantees, insurance, farm taxes, targeted transfers).

Dates and rules are those of ``shared/reference/targets.md`` ("Dated reforms"); each class names its
source.  The strength of each effect (how much of the remaining movement controls a reform lifted,
how fast cities convert migrants) is a parameter of its ``[policy.X]`` section, for calibration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .base import Policy, Rules, register

if TYPE_CHECKING:  # pragma: no cover
    from ..model import MigrationModel


@dataclass
class _Release(Policy):
    """A reform that lifts a share of the movement controls still in force."""

    release: float = 0.3

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.movement_block *= 1.0 - self.release


@register("market_towns")
@dataclass
class MarketTownHukou(_Release):
    title = "Peasants may settle in market towns with self-supplied grain hukou"
    source = "State Council notice, October 1984 (targets.md, dated reforms)"


@register("temporary_residence")
@dataclass
class TemporaryResidence(_Release):
    title = "Temporary residence permits for people living away from their hukou"
    source = "Ministry of Public Security provisions, 1985 (targets.md)"


@register("grain_rationing_end")
@dataclass
class GrainRationingEnd(_Release):
    title = "Grain rationing ends: living in a city without urban hukou becomes feasible"
    source = "Urban grain coupons abolished, 1993 (targets.md)"


@register("custody_end")
@dataclass
class CustodyEnd(Policy):
    """Custody and repatriation abolished: no one is sent back for lack of papers."""

    title = "Custody and repatriation abolished (after the death of Sun Zhigang)"
    source = "State Council, June 2003 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.movement_block = 0.0


def _size_band(model: "MigrationModel", low: float, high: float) -> np.ndarray:
    size = model.settlement_size()
    return (size >= low) & (size < high)


@register("housing_reform")
@dataclass
class HousingReform(Policy):
    """Welfare housing allocation by work units ends: urban people may take a job and a home in another city.

    Lifts a share ``release`` of the work-unit tie (``migration.work_unit_tie``) on urban-to-urban moves."""

    release: float = 1.0
    title = "Urban housing reform: work units stop allocating housing"
    source = "State Council notice on deepening the urban housing reform (Guofa [1998] No. 23), July 1998"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.urban_mobility_block *= 1.0 - self.release


@register("land_compensation")
@dataclass
class LandCompensation(Policy):
    """Requisitioned land is paid for in money: the farmers who lose it are no longer placed in urban jobs with
    urban hukou, so new urban villagers keep their rural hukou (urbanized in place) until their city converts them.

    A share ``hukou_share`` of them still gets urban hukou."""

    hukou_share: float = 0.0
    title = "Land requisition compensated in money, not with urban hukou and a job"
    source = "Land Administration Law of the PRC, revised 29 August 1998, in force 1 January 1999"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.requisition_hukou_share = self.hukou_share


@register("small_town_hukou")
@dataclass
class SmallTownHukou(Policy):
    """Migrants with a fixed home and stable income in small cities may register there."""

    conversion_rate: float = 0.02
    max_size: float = 1e6
    title = "Small-town hukou reform: settled migrants may register in small cities"
    source = "State Council, 2001 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.conversion_extra += self.conversion_rate * _size_band(model, 0.0, self.max_size)


@register("tiered_hukou")
@dataclass
class TieredHukou(Policy):
    """Open small cities, orderly for medium, conditional for large, strict for megacities; residence
    permits give holders part of the public services."""

    small_rate: float = 0.06  # below 1 million
    medium_rate: float = 0.04  # 1 to 3 million
    large_rate: float = 0.02  # 3 to 5 million
    megacity_rate: float = 0.0  # above 5 million
    intensity: float = 1.0  # how hard the plan was pursued: multiplies the four rates
    permit_access: float = 0.2
    title = "Tiered hukou reform by city size, and residence permits"
    source = "National New-type Urbanization Plan and State Council opinions, 2014; permits 2016 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        size = model.settlement_size()
        rate = np.select([size < 1e6, size < 3e6, size < 5e6], [self.small_rate, self.medium_rate, self.large_rate],
                         self.megacity_rate)
        rules.conversion_extra += self.intensity * rate
        rules.migrant_access_gain += self.permit_access


@register("unified_registration")
@dataclass
class UnifiedRegistration(Policy):
    """Agricultural and non-agricultural hukou become one resident registration, and villages inside cities
    become residents' committees: each year a share ``in_place_rate`` of the urban villagers who still hold
    rural hukou (urbanized in place, never floating) register as urban residents where they live."""

    in_place_rate: float = 0.2
    title = "One resident hukou; villages inside cities become residents' committees"
    source = "State Council opinions on further promoting hukou reform (Guofa 2014 No. 25), July 2014"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.village_conversion_extra += self.in_place_rate


@register("settlement_limits")
@dataclass
class SettlementLimits(Policy):
    """Cities under 3 million drop settlement limits; 3 to 5 million relax them."""

    open_rate: float = 0.05
    relaxed_rate: float = 0.02
    title = "Settlement limits removed in cities under 3 million"
    source = "NDRC key tasks of new-type urbanization, 2019 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.conversion_extra += (self.open_rate * _size_band(model, 0.0, 3e6)
                                   + self.relaxed_rate * _size_band(model, 3e6, 5e6))


@register("urban_dibao")
@dataclass
class UrbanDibao(Policy):
    title = "Urban minimum living guarantee (dibao) nationwide"
    source = "State Council regulation, 1999 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.urban_dibao = True


@register("rural_dibao")
@dataclass
class RuralDibao(Policy):
    title = "Rural minimum living guarantee (dibao) nationwide"
    source = "State Council notice, 2007 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.rural_dibao = True


@register("rural_medical_scheme")
@dataclass
class RuralMedicalScheme(Policy):
    """New rural cooperative medical scheme: rolled out from start_year to full_year, when the share
    of bills it pays reaches ``reimbursement`` (rising linearly from the scenario's baseline)."""

    full_year: int = 2008
    reimbursement: float = 0.45
    title = "New rural cooperative medical scheme rolled out"
    source = "State Council, 2003; near-universal by 2008 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        span = max(self.full_year - self.start_year, 0) + 1
        reached = min((model.year - self.start_year + 1) / span, 1.0)
        rules.rural_reimbursement += reached * max(self.reimbursement - rules.rural_reimbursement, 0.0)


@register("agricultural_tax")
@dataclass
class AgriculturalTaxAbolition(Policy):
    """The agricultural tax and fees go; direct farm subsidies follow: farm income rises by a share."""

    income_gain: float = 0.06
    title = "Agricultural tax abolished; direct farm subsidies"
    source = "Agricultural tax abolished nationwide 2006, subsidies from 2004 (targets.md)"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.farm_income_factor *= 1.0 + self.income_gain


@register("targeted_poverty")
@dataclass
class TargetedPovertyAlleviation(Policy):
    """Registered poor rural households get transfers, jobs and relocation until the line is met:
    each year a share ``reach`` of the poor rural households is found and lifted to the official line,
    and their support goes on (no return to poverty after 2020)."""

    reach: float = 0.3
    title = "Targeted poverty alleviation: registered poor households lifted to the line"
    source = "CPC Central Committee and State Council decision on winning the battle against poverty, 2015"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.poverty_reach = max(rules.poverty_reach, self.reach)


HISTORY: tuple[str, ...] = ("market_towns", "temporary_residence", "grain_rationing_end", "housing_reform",
                            "land_compensation", "custody_end", "small_town_hukou", "tiered_hukou",
                            "unified_registration", "settlement_limits", "urban_dibao", "rural_dibao",
                            "rural_medical_scheme", "agricultural_tax", "targeted_poverty")
"""The dated reforms of China's record, in the order of this module."""
