"""Central policies: dated objects with hooks that the model's schedule calls (see :mod:`.base`).

The registry :data:`REGISTRY` maps each ``[policy.X]`` scenario section to its class, in the order the
policies act each year.  The neutral policy is no policy: no section enabled.
"""

from .base import REGISTRY, Policy, Rules, markdown_table, policies_from_params, register
from .cap import HukouCap
from .reform import HukouReform
from .decentralization import Decentralization
from .new_city import NewCity
from .history import (AgriculturalTaxAbolition, CustodyEnd, GrainRationingEnd, MarketTownHukou, RuralDibao,
                      RuralMedicalScheme, SettlementLimits, SmallTownHukou, TargetedPovertyAlleviation,
                      TemporaryResidence, TieredHukou, UrbanDibao)

__all__ = ["REGISTRY", "Policy", "Rules", "markdown_table", "policies_from_params", "register", "HukouCap", "HukouReform",
           "Decentralization", "NewCity", "MarketTownHukou", "TemporaryResidence", "GrainRationingEnd",
           "CustodyEnd", "SmallTownHukou", "TieredHukou", "SettlementLimits", "UrbanDibao", "RuralDibao",
           "RuralMedicalScheme", "AgriculturalTaxAbolition", "TargetedPovertyAlleviation"]
