"""hukou-sim: an agent-based model of rural-urban migration in China under hukou caps and
decentralized urbanization, built on Mesa.

Python API::

    import sim
    scenario = sim.load_scenario("cap", overrides={"simulation.n_agents": 5000})
    model = sim.MigrationModel.from_scenario(scenario, rng=42)
    model.run(10)
    model.metrics()["poverty_headcount"]
    result = sim.run(scenario, seed=42)          # timeseries DataFrame + final outputs
"""

from importlib.metadata import PackageNotFoundError, version

from .errors import InputError
from .scenario import Scenario, bundled_scenarios, load_scenario
from .outcomes import COLUMNS
from .model import MigrationModel
from .api import RunResult, run

try:
    __version__ = version("hukou-sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["COLUMNS", "InputError", "MigrationModel", "RunResult", "Scenario", "bundled_scenarios",
           "load_scenario", "run", "__version__"]
