"""The registry of city sources: one call builds the network for the model, the scenario check and the CLI."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import sim
from sim import params as P
from sim.errors import InputError
from sim.network import (
    SOURCES,
    build_network,
    china_network,
    load_network,
    network_from_params,
    register_source,
    source_kinds,
    synthetic_network,
)
from sim.network import sources as sources_module
from sim.scenario import scenario_network

from .helpers import DATA, assert_input_error


def same_network(a, b) -> None:
    assert a.names == b.names
    np.testing.assert_array_equal(a.population, b.population)
    np.testing.assert_array_equal(a.distance_km, b.distance_km)


def test_kinds_are_the_parameter_choices():
    assert source_kinds() == ("synthetic", "china", "file")
    assert P.BY_KEY["network.kind"].choices == source_kinds()


def test_defaults_come_from_the_parameter_table():
    same_network(network_from_params({}), synthetic_network(n_cities=P.BY_NAME["network_n_cities"].default))


def test_each_source_matches_its_builder():
    same_network(network_from_params({"network_kind": "synthetic", "network_n_cities": 12, "network_seed": 4,
                                      "network_neighbours": 3}),
                 synthetic_network(n_cities=12, seed=4, neighbours=3))
    same_network(network_from_params({"network_kind": "china", "network_n_cities": 40}), china_network(40))
    same_network(network_from_params({"network_kind": "file", "network_path": str(DATA / "cities.csv")}),
                 load_network(DATA / "cities.csv"))
    # the keyword form goes through the same registry
    same_network(build_network("synthetic", 12, 3, seed=4), synthetic_network(n_cities=12, seed=4, neighbours=3))


def test_relative_path_is_read_from_base_dir():
    net = network_from_params({"network_kind": "file", "network_path": "cities.csv"}, DATA)
    assert net.names == ["Alpha", "Beta", "Gamma", "Delta"]
    with pytest.raises(InputError) as excinfo:
        network_from_params({"network_kind": "file", "network_path": "cities.csv"}, DATA / "nowhere")
    assert "file not found" in str(excinfo.value)


@pytest.mark.parametrize("kind", ["moon", "", None, 3])
def test_unknown_kind(kind):
    with pytest.raises(InputError) as excinfo:
        network_from_params({"network_kind": kind})
    assert_input_error(excinfo, "network", "kind")
    assert "'synthetic', 'china', 'file'" in str(excinfo.value)


def test_register_source_refuses_a_second_builder_for_a_kind():
    with pytest.raises(ValueError):
        register_source("synthetic")(lambda p, base: None)
    with pytest.raises(ValueError):
        register_source("  ")


def test_a_registered_source_is_used_by_network_from_params(monkeypatch):
    calls = []

    def ring(p, base_dir):
        calls.append((p["network_n_cities"], base_dir))
        return synthetic_network(n_cities=p["network_n_cities"], seed=99)

    monkeypatch.setitem(SOURCES, "ring", ring)
    net = network_from_params({"network_kind": "ring", "network_n_cities": 7}, "/tmp")
    assert net.n == 7 and calls and calls[0][1].as_posix() == "/tmp"
    assert "ring" in source_kinds()


def test_model_and_scenario_check_build_through_the_registry(monkeypatch, tmp_path):
    seen = []
    original = SOURCES["file"]

    def spy(p, base_dir):
        seen.append(base_dir)
        return original(p, base_dir)

    monkeypatch.setitem(SOURCES, "file", spy)
    shutil.copy(DATA / "cities.csv", tmp_path / "cities.csv")
    shutil.copy(DATA / "cities_edges.csv", tmp_path / "cities_edges.csv")
    toml = tmp_path / "mine.toml"
    toml.write_text('name = "mine"\n[network]\nkind = "file"\npath = "cities.csv"\n[simulation]\nn_agents = 300\n',
                    encoding="utf-8")
    sc = sim.load_scenario(toml)
    checked = scenario_network(sc)
    model = sim.MigrationModel.from_scenario(sc, rng=1)
    assert seen == [tmp_path, tmp_path]
    assert checked.names == model.network.names[:checked.n]


def test_scenario_check_reports_the_file_not_the_scenario(tmp_path):
    (tmp_path / "bad.csv").write_text("name,population,x,y\nA,1e308,0,0\n", encoding="utf-8")
    toml = tmp_path / "bad.toml"
    toml.write_text('name = "bad"\n[network]\nkind = "file"\npath = "bad.csv"\n', encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        scenario_network(sim.load_scenario(toml))
    assert_input_error(excinfo, str(tmp_path / "bad.csv"), "node 'A' population")


def test_kinds_constant_is_the_builtin_sources():
    assert sources_module.KINDS == ("synthetic", "china", "file")
