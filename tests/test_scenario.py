"""Scenario files and the parameter schema."""

from __future__ import annotations

import pytest

import sim
from sim import params as P
from sim.scenario import bundled_scenarios, load_scenario


def test_every_parameter_has_default_unit_doc_and_valid_default():
    for p in P.PARAMS:
        assert p.unit and p.doc, p.key
        assert p.validate(p.default, "defaults") == p.default


def test_bundled_scenarios_load_and_describe_themselves():
    names = set(bundled_scenarios())
    assert {"neutral", "cap", "decentralize", "cap_decentralize", "hukou_reform", "new_city", "teaching",
            "china", "harris_todaro"} <= names
    for name in names:
        sc = load_scenario(name)
        assert sc.description and sc.steps >= 1
    assert load_scenario("china").start_year == 1982
    assert load_scenario("china").values["n_agents"] >= 200_000


def test_extends_inherits_and_overrides():
    cap = load_scenario("cap")
    neutral = load_scenario("neutral")
    assert cap.values["cap_enabled"] and not neutral.values["cap_enabled"]
    assert cap.values["network_kind"] == neutral.values["network_kind"] == "china"
    both = load_scenario("cap_decentralize")
    assert both.values["cap_enabled"] and both.values["decentralization_rate"] > 0


def test_round_trip_through_a_file(tmp_path):
    sc = load_scenario("cap", {"economy.base_wage": 3333.0})
    import tomllib
    text = _to_toml(sc.to_dict())
    path = tmp_path / "copy.toml"
    path.write_text(text)
    again = load_scenario(path)
    assert dict(again.values) == dict(sc.values)
    assert tomllib.loads(text)["economy"]["base_wage"] == 3333.0


def _to_toml(d, prefix=""):
    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append((k, v))
        else:
            lines.append(f"{k} = {_toml_value(v)}")
    out = "\n".join(lines) + "\n"
    for k, v in tables:
        name = f"{prefix}{k}"
        if any(not isinstance(x, dict) for x in v.values()):
            out += f"\n[{name}]\n"
        out += _to_toml(v, name + ".")
    return out


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    return repr(v)


def test_overrides_by_dotted_key_flat_name_or_text():
    a = load_scenario("teaching", {"migration.choice_noise": 0.1})
    b = load_scenario("teaching", {"choice_noise": 0.1})
    c = load_scenario("teaching", ["migration.choice_noise=0.1"])
    assert a.values == b.values == c.values
    assert a.values["choice_noise"] == 0.1
    assert load_scenario("teaching", ["policy.cap.enabled=true"]).values["cap_enabled"] is True


BAD_FILES = {
    "unknown field": ('name = "x"\nbogus = 1\n', "bogus"),
    "unknown section": ("[economics]\nbase_wage = 1\n", "economics"),
    "unknown key": ("[economy]\nbase_wages = 1\n", "economy.base_wages"),
    "wrong type": ('[economy]\nbase_wage = "high"\n', "economy.base_wage"),
    "out of range": ("[migration]\nrevision_rate = 1.5\n", "migration.revision_rate"),
    "bad choice": ('[network]\nkind = "moon"\n', "network.kind"),
    "bool as int": ("[policy.cap]\nenabled = 1\n", "policy.cap.enabled"),
    "float for int": ("[simulation]\nsteps = 2.5\n", "simulation.steps"),
    "nan": ("[economy]\nbase_wage = nan\n", "economy.base_wage"),
    "syntax": ("[economy\nbase_wage = 1\n", "syntax"),
    "missing base": ('extends = "nope"\n', "extends"),
    "name not string": ("name = 3\n", "name"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_malformed_scenario_files_name_file_and_field(tmp_path, case):
    text, field = BAD_FILES[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(sim.InputError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message and field in message
    assert "\n" not in message


def test_extends_cycle_is_rejected(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(sim.InputError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def test_bad_overrides_are_rejected():
    with pytest.raises(sim.InputError, match="no_such"):
        load_scenario("teaching", ["no_such=1"])
    with pytest.raises(sim.InputError, match="KEY=VALUE"):
        load_scenario("teaching", ["choice_noise"])
    with pytest.raises(sim.InputError, match="migration.choice_noise"):
        load_scenario("teaching", {"choice_noise": "loud"})
