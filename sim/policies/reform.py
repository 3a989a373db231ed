"""Hukou reform as a counterfactual: equal public services for all residents and faster conversion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import Policy, Rules, register

if TYPE_CHECKING:  # pragma: no cover
    from ..model import MigrationModel


@register("reform")
@dataclass
class HukouReform(Policy):
    """Equal schools, hospitals, insurance and guarantees for residents whatever their hukou, and an
    extra share of each city's floating population converted to local hukou every year."""

    conversion_rate: float = 0.05
    directive = True
    title = "Hukou reform: equal services for all residents"
    source = "World Bank and DRC, Urban China (2014), as quoted in seed 004"

    def set_rules(self, model: "MigrationModel", rules: Rules) -> None:
        rules.equal_services = True
        rules.conversion_extra += self.conversion_rate
