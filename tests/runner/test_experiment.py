from pathlib import Path

import pytest

from sim.errors import InputError
from sim.runner.experiment import load_experiment

from .conftest import ROOT, write_experiment


def test_bundled_experiments_load():
    cvn = load_experiment(ROOT / "experiments" / "cap_vs_neutral.toml")
    assert [s.label for s in cvn.scenarios] == ["neutral", "cap", "decentralize", "cap_decentralize", "hukou_reform"]
    assert cvn.replications >= 20 and cvn.baseline == "neutral"
    assert all(s.scenario.values["network_kind"] == "china" for s in cvn.scenarios)
    smoke = load_experiment("smoke")  # bundled name works too
    assert len(smoke.scenarios) == 2 and smoke.replications == 2
    sens = load_experiment(ROOT / "experiments" / "sensitivity.toml")
    assert sens.design.kind == "sobol"
    d = len(sens.design.parameters)
    assert len(sens.design.points) == sens.design.samples * (d + 2)


def test_grid_design_and_task_keys(tmp_path):
    path = write_experiment(tmp_path, """
        name = "g"
        scenarios = ["teaching"]
        replications = 2
        steps = 2
        [design]
        kind = "grid"
        [design.parameters]
        "migration.choice_noise" = [0.1, 0.5, 1.0]
        "policy.cap.enabled" = [true, false]
    """)
    exp = load_experiment(path)
    assert exp.n_runs == 12 and len(exp.design.points) == 6
    tasks = list(exp.tasks("1.0"))
    assert len({t.key for t in tasks}) == 12 and len({t.seed for t in tasks}) == 12
    assert {t.values["choice_noise"] for t in tasks} == {0.1, 0.5, 1.0}
    # keys depend on the version (a new model version is new runs) and are stable otherwise
    assert [t.key for t in exp.tasks("1.0")] == [t.key for t in tasks]
    assert {t.key for t in exp.tasks("2.0")}.isdisjoint({t.key for t in tasks})


def test_lhs_design_is_stratified_and_reproducible(tmp_path):
    path = write_experiment(tmp_path, """
        name = "l"
        scenarios = ["teaching"]
        [design]
        kind = "lhs"
        samples = 10
        seed = 3
        [design.parameters]
        "migration.choice_noise" = [0.0, 1.0]
        "migration.candidates" = [2, 12]
    """)
    a, b = load_experiment(path), load_experiment(path)
    assert a.design.points == b.design.points and len(a.design.points) == 10
    noise = sorted(p["migration.choice_noise"] for p in a.design.points)
    # one point in each tenth of the range: the Latin hypercube property
    assert [int(v * 10) for v in noise] == list(range(10))
    assert all(isinstance(p["migration.candidates"], int) and 2 <= p["migration.candidates"] <= 12
               for p in a.design.points)


BAD = {
    "syntax": ("name = ", "syntax"),
    "missing name": ('scenarios = ["teaching"]', "name"),
    "wrong type": ('name = "x"\nscenarios = ["teaching"]\nreplications = "many"', "replications"),
    "zero replications": ('name = "x"\nscenarios = ["teaching"]\nreplications = 0', "replications"),
    "unknown scenario": ('name = "x"\nscenarios = ["atlantis"]', "scenarios[0]"),
    "unknown field": ('name = "x"\nscenarios = ["teaching"]\nrepetitions = 3', "repetitions"),
    "unknown parameter": ('name = "x"\nscenarios = ["teaching"]\n[overrides]\n"economy.magic" = 1', "economy.magic"),
    "out of range": ('name = "x"\nscenarios = ["teaching"]\n[design]\nkind = "grid"\n[design.parameters]\n'
                     '"migration.choice_noise" = [0.1, -3.0]', "migration.choice_noise"),
    "sobol not power of 2": ('name = "x"\nscenarios = ["teaching"]\n[design]\nkind = "sobol"\nsamples = 3\n'
                             '[design.parameters]\n"migration.choice_noise" = [0.1, 1.0]\n'
                             '"migration.distance_cost" = [0.0, 1.0]', "design.samples"),
    "lhs on a string": ('name = "x"\nscenarios = ["teaching"]\n[design]\nkind = "lhs"\nsamples = 3\n'
                        '[design.parameters]\n"policy.decentralization.rule" = ["by_size", "uniform"]',
                        "policy.decentralization.rule"),
    "unknown output": ('name = "x"\nscenarios = ["teaching"]\noutputs = ["happiness"]', "outputs"),
    "bad baseline": ('name = "x"\nscenarios = ["teaching"]\nbaseline = "neutral"', "baseline"),
    "duplicate label": ('name = "x"\nscenarios = ["teaching", "teaching"]', "scenarios[1]"),
    "bad design kind": ('name = "x"\nscenarios = ["teaching"]\n[design]\nkind = "random"', "design.kind"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_experiments_raise_input_error(tmp_path, case):
    body, field = BAD[case]
    path = write_experiment(tmp_path, body)
    with pytest.raises(InputError) as info:
        load_experiment(path)
    assert info.value.source == str(path)
    assert field in info.value.field or field in str(info.value)


def test_missing_experiment_file(tmp_path):
    with pytest.raises(InputError, match="no such experiment"):
        load_experiment(tmp_path / "nope.toml")
    assert not Path(tmp_path / "nope.toml").exists()
