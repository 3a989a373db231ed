"""Headless tests of the teaching page: render it with Solara (as Mesa's own visualization tests
do), press its buttons and read its widgets; and the run logic behind it."""

from __future__ import annotations

from dataclasses import dataclass

import ipyvuetify as v
import numpy as np
import pytest
import solara

import sim
from sim.viz import app, charts, frames, lesson, session as sess
from sim.viz.chinamap import chinese_name, province_outlines


def render(monkeypatch, scenario: str | None = None):
    if scenario is None:
        monkeypatch.delenv(app.BASE_ENV, raising=False)
    else:
        monkeypatch.setenv(app.BASE_ENV, scenario)
    # the server wraps every page in an AppLayout; without it the sidebar is not rendered
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    return rc


def board(rc):
    return next(w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "vue_goto"))


def press(rc, year: int) -> None:
    """The browser shows ``year`` (what Step, Back, the year slider and Play send)."""
    b = board(rc)
    seq = b.server["ack"] + 1
    b._event_callbacks["goto"]([year, seq, 0])


def shown(rc) -> int:
    return board(rc).server["shown"]


def frame(rc, year: int) -> dict:
    """The frame of ``year`` as the browser holds it (every frame sent so far)."""
    b = board(rc)
    assert b.frames["token"] == b.spec["token"]
    frames = {f["year"]: f for f in b.frames["list"]}
    return frames[year]


def descriptions(rc) -> list[str]:
    return [r["description"] for r in board(rc).spec["runs"]]


def text(rc, cls: str) -> list[str]:
    return [x.children[0] for x in rc.find(v.Html, class_=cls).widgets]


def errors(rc) -> list[str]:
    return [a.children[0] for a in rc.find(v.Alert).widgets if a.type == "error"]


@pytest.mark.parametrize("preset", list(app.PRESETS))
def test_each_preset_renders_and_steps(monkeypatch, preset):
    rc = render(monkeypatch, preset)
    assert errors(rc) == []
    assert shown(rc) == 1982 and board(rc).spec["start"] == 1982 and board(rc).spec["end"] == 2022
    assert app.describe(app.preset_settings(preset)) in descriptions(rc)[0]
    assert set(board(rc).spec["plots"]) >= {"poverty", "urbanization", "concentration", "rank"}
    press(rc, 1983)
    assert shown(rc) == 1983
    now = frame(rc, 1983)
    assert now["runs"][0]["sentence"]["official"].startswith("1983: ")
    fresh = app.build_session(app.preset_settings(preset))  # deterministic: the page shows a fresh run's numbers
    fresh.jump(1983)
    assert now["runs"][0]["series"]["pov.official.migrant_"] == pytest.approx(
        lesson.poverty_value(fresh.now().metrics, "migrant_", "official"), abs=1e-5)
    assert now["runs"][0]["cities"]["pop"] == [round(p) for p in fresh.now().population]
    assert "query" in board(rc).trait_names() and "preset=" + preset in board(rc).query


def test_side_by_side_has_two_sets_of_plots_and_a_difference(monkeypatch):
    rc = render(monkeypatch, "cap")
    rc.find(v.Select, class_="compare-select").widget.v_model = app.PRESETS["neutral"].label
    assert any("press Reset" in a.children[0] for a in rc.find(v.Alert).widgets)
    rc.find(v.Btn, class_="reset-button").widget.click()
    runs = descriptions(rc)
    assert runs[0].startswith("Running: A: cap 1.00x") and runs[1] == "Running: B: no central policy"
    assert "difference" in board(rc).spec["plots"]
    press(rc, 1995)
    assert shown(rc) == 1995
    now = frame(rc, 1995)
    a, b = now["runs"]
    assert a["series"] != b["series"]  # every series for both runs
    assert a["cities"]["pop"] != b["cities"]["pop"] and now["scale"]["diff.map"] > 1.0  # B - A is not zero
    assert len(a["cities"]["pop"]) == len(b["cities"]["pop"]) == len(board(rc).spec["map"]["names"])
    assert now["numbers"]["official"][0].startswith("A ") and " · B " in now["numbers"]["official"][0]


def _slider(rc, title: str):
    return next(s for s in rc.find(v.Slider).widgets if s.label.startswith(title))


def _switch(rc, title: str):
    return next(c for c in rc.find(v.Checkbox).widgets if c.label.startswith(title))


def test_cap_switch_and_slider_then_reset_changes_the_model(monkeypatch):
    rc = render(monkeypatch, "neutral")
    before = descriptions(rc)
    assert before == ["Running: no central policy (seed 0)"]
    assert not any(s.label.startswith("Level") for s in rc.find(v.Slider).widgets)  # the cap is off: no level
    _switch(rc, "Population caps on the largest cities").v_model = True
    slider = _slider(rc, "Level")
    assert slider.label == "Level: 1"  # a multiple of the city's size: no unit
    slider.v_model = 0.5
    assert _slider(rc, "Level").label == "Level: 0.5"
    assert _slider(rc, "Top n").label == "Top n: 4 cities"  # value and unit on the slider
    assert _slider(rc, "Start year").label == "Start year: 1990"  # the demo's directives start in 1990
    assert descriptions(rc) == before  # nothing changes until Reset
    rc.find(v.Btn, class_="reset-button").widget.click()
    assert descriptions(rc) == ["Running: cap 0.50x on 4 largest, enforcement 0.60 (seed 0)"]


def test_every_registered_policy_has_controls_with_value_unit_and_help(monkeypatch):
    from sim.params import PARAMS
    from sim.policies import REGISTRY

    groups = {g.key: g for g in app.policies.policy_groups(1982, 2022)}
    assert set(REGISTRY) <= set(groups) and "enforcement" in groups  # a section no class owns too
    for key, cls in REGISTRY.items():
        assert groups[key].title == cls.title and groups[key].source == cls.source
        assert groups[key].directive == cls.directive
        owned = {p.key for p in PARAMS if p.key.startswith(f"policy.{key}.")}
        assert {c.key for c in groups[key].controls} | {groups[key].enabled} - {None} == owned
    for group in groups.values():
        for c in group.controls:
            assert c.doc and c.low <= c.high
            if c.kind in ("int", "float"):
                assert any(ch.isdigit() for ch in c.fmt(c.high))
    rc = render(monkeypatch, "cap")
    labels = [c.label for c in rc.find(v.Checkbox).widgets]
    for cls in REGISTRY.values():
        assert cls.title in labels or cls.title in text_of(rc)


def text_of(rc) -> list[str]:
    """Policy titles (groups without a switch) and sources on the page."""
    return [w.children[0] for cls in ("policy-title", "hukou-help policy-source")
            for w in rc.find(v.Html, class_=cls).widgets]


def test_a_new_policy_class_appears_on_the_page_with_no_demo_change(monkeypatch):
    """Register a policy class and its parameters as the model would: the page offers it, with its
    title, source, switch and slider, and the setting goes into the run's overrides."""
    from dataclasses import dataclass as policy_dataclass
    from typing import ClassVar

    import sim.params as params
    from sim.policies import REGISTRY, Policy, register

    extra = (params.Param("policy.ghost_towns.enabled", bool, False, "-", "Demolish empty new towns."),
             params.Param("policy.ghost_towns.start_year", int, 2010, "year", "Year it comes into force.",
                          1900, 2200),
             params.Param("policy.ghost_towns.share", float, 0.2, "share", "Share of empty towns torn down.",
                          0.0, 1.0))
    monkeypatch.setattr(params, "PARAMS", params.PARAMS + extra)

    @policy_dataclass
    class GhostTowns(Policy):
        title: ClassVar[str] = "Ghost towns demolished"
        source: ClassVar[str] = "a test"
        share: float = 0.2

    register("ghost_towns")(GhostTowns)
    try:
        rc = render(monkeypatch, "neutral")
        assert "Source: a test" in text_of(rc)  # its group is on the page
        switch = _switch(rc, "Ghost towns demolished")
        assert not any(s.label.startswith("Share") for s in rc.find(v.Slider).widgets)
        switch.v_model = True
        assert _slider(rc, "Share").label == "Share: 20%"
        _slider(rc, "Share").v_model = 0.5
        chosen = dict(board_settings(rc).policy)
        assert chosen == {"policy.ghost_towns.enabled": True, "policy.ghost_towns.share": 0.5}
        assert "ghost_towns.share=0.5" in app.to_query(board_settings(rc), None, app.View())
    finally:
        del REGISTRY["ghost_towns"]


def board_settings(rc) -> app.Settings:
    """The settings the controls hold (read back from the URL the next Reset would give)."""
    seed = rc.find(v.TextField, class_="seed-input").widget.v_model
    policy = []
    for c in rc.find(v.Checkbox).widgets:
        if c.label == "Ghost towns demolished" and c.v_model:
            policy.append(("policy.ghost_towns.enabled", True))
    for s in rc.find(v.Slider).widgets:
        if s.label.startswith("Share"):
            policy.append(("policy.ghost_towns.share", s.v_model))
    return app.Settings(policy=tuple(sorted(policy)), seed=seed)


def test_bad_seed_is_reported_in_the_page_and_the_old_run_goes_on(monkeypatch):
    rc = render(monkeypatch)
    field = rc.find(v.TextField, class_="seed-input").widget
    field.v_model = "forty-two"
    assert field.error and "whole number" in " ".join(field.messages)
    rc.find(v.Btn, class_="reset-button").widget.click()
    assert len(errors(rc)) == 1 and errors(rc)[0].startswith("Not applied: seed: got 'forty-two'")
    press(rc, 1983)  # the running model was kept
    assert shown(rc) == 1983
    field.v_model = "7"
    rc.find(v.Btn, class_="reset-button").widget.click()
    assert errors(rc) == []
    assert shown(rc) == 1982
    assert descriptions(rc) == ["Running: no central policy (seed 7)"]


def test_a_failing_step_is_shown_not_raised(monkeypatch):
    rc = render(monkeypatch)

    def broken(self):
        raise RuntimeError("negative rent in city 3")

    monkeypatch.setattr(sess.Session, "_advance_models", broken)
    press(rc, 1983)
    assert len(errors(rc)) == 1 and "negative rent in city 3" in errors(rc)[0]
    assert shown(rc) == 1982


def test_colour_choice_recolours_the_map(monkeypatch):
    rc = render(monkeypatch)
    press(rc, 1990)
    assert board(rc).view["colour"] == "poverty"
    rc.find(v.Select, class_="colour-select").widget.v_model = "migrant share"
    assert board(rc).view["colour"] == "migrants" and "colour=migrants" in board(rc).query
    cities = frame(rc, 1990)["runs"][0]["cities"]  # the browser colours by these
    assert cities["migrant_share"] != cities["poverty"]["official"]
    assert board(rc).spec["map"]["colourings"]["migrants"]["title"].startswith("Migrant share")


@dataclass(frozen=True)
class _Line:
    label: str
    meaning: str


def test_poverty_line_picker_switches_plots_numbers_and_meaning(monkeypatch):
    lines = {"official": _Line("Official line", "The official line."),
             "extreme": _Line("Dollar-a-day line", "A person is poor below about a dollar a day.")}
    monkeypatch.setattr(lesson, "poverty_lines", lambda: lines)
    real_record = sess.record

    def with_extreme(model):  # a model that reports a second line, as sim.poverty will
        rec = real_record(model)
        extra = {f"{g}poverty_headcount_extreme": rec.metrics.get(f"{g}poverty_headcount", 0.0) / 2
                 for g in ("", "migrant_", "villager_", "rural_")}
        extra["urban_poverty_headcount_extreme"] = rec.metrics["urban_hukou_poverty_headcount"] / 2
        return sess.YearRecord(**{**rec.__dict__, "metrics": {**rec.metrics, **extra}})

    monkeypatch.setattr(sess, "record", with_extreme)
    rc = render(monkeypatch)
    select = rc.find(v.Select, class_="line-select").widget
    assert select.items == ["Official line", "Dollar-a-day line"]
    press(rc, 1984)
    series = frame(rc, 1984)["runs"][0]["series"]
    assert series["pov.extreme.migrant_"] == pytest.approx(series["pov.official.migrant_"] / 2, abs=1e-5)
    assert set(frame(rc, 1984)["runs"][0]["sentence"]) == {"official", "extreme"}
    select.v_model = "Dollar-a-day line"
    assert text(rc, "hukou-help line-meaning") == ["A person is poor below about a dollar a day."]
    assert board(rc).view["line"] == "extreme" and "line=extreme" in board(rc).query
    assert board(rc).spec["lines"] == {"official": "Official line", "extreme": "Dollar-a-day line"}


def test_fallback_offers_the_official_line_only():
    lines = lesson.poverty_lines()
    assert "official" in lines and list(lines)[0] == "official"
    assert lines["official"].label and lines["official"].meaning.endswith(".")
    assert lesson.poverty_column("migrant_", "official") == "migrant_poverty_headcount"
    assert lesson.poverty_column("", "extreme", "gap") == "poverty_gap_extreme"


# ------------------------------------------------------------------------- the logic behind the page
def test_step_back_and_jump_show_the_same_numbers_as_a_fresh_run():
    s = app.build_session(app.preset_settings("cap", seed="3"))
    for _ in range(12):
        s.step()
    s.back()
    s.back()
    assert s.year == 1992 and s.computed == 12
    s.step()  # a recorded year: the models do not move
    assert s.computed == 12 and s.year == 1993
    s.jump(2000)
    fresh = app.build_session(app.preset_settings("cap", seed="3"))
    fresh.jump(2000)
    for a, b in zip(s.history(), fresh.history()):
        np.testing.assert_array_equal(a.population, b.population)
        assert a.metrics == b.metrics
    with pytest.raises(sim.InputError, match="year"):
        s.jump(2100)


def test_side_by_side_runs_share_the_seed_and_start_equal():
    session = app.build_session(app.preset_settings("cap", seed="3", compare="neutral"))
    a, b = (r.model for r in session.runs)
    np.testing.assert_array_equal(a.city_population(), b.city_population())
    for _ in range(15):
        session.step()
    assert a.time == b.time == 15
    assert np.isfinite(a.cities.cap).sum() == 4 and np.isinf(b.cities.cap).all()
    assert a.city_population().max() < b.city_population().max()


def test_url_round_trip_and_bad_urls():
    settings = app.preset_settings("cap", seed="9", compare="neutral", map="china")
    settings = settings.with_policy("policy.cap.level", 0.75).with_policy("policy.tiered_hukou.enabled", True)
    query = app.to_query(settings, 1999, app.View(colour="hukou", line="extreme"))
    assert "cap.level=0.75" in query and "tiered_hukou.enabled=1" in query
    back, year, view, problems = app.from_query(query, app.Settings())
    assert (back, year, view, problems) == (settings, 1999, app.View("hukou", "extreme"), [])
    # the short names of earlier URLs still work
    old, _, _, problems = app.from_query("preset=cap&cap=1&enf=0.5&dec=0.1&reform=1", app.Settings())
    assert problems == [] and old == (app.preset_settings("cap").with_policy("policy.enforcement.intensity", 0.5)
                                      .with_policy("policy.decentralization.rate", 0.1)
                                      .with_policy("policy.reform.enabled", True))
    back, year, view, problems = app.from_query("preset=atlantis&cap=-1&year=soon&map=mars&ghost.x=1",
                                                app.Settings())
    assert back == app.Settings() and year is None
    assert any(p.startswith("URL: preset: got 'atlantis'") for p in problems)
    assert any(p.startswith("URL: policy.cap.level: got -1") for p in problems)
    assert any(p.startswith("URL: map:") for p in problems)
    assert "URL: policy.ghost.x: not a policy parameter" in problems


def test_presets_act_early_on_the_teaching_scenario():
    base = sim.load_scenario("teaching").values
    o = app.overrides(app.preset_settings("cap_decentralize"), base)
    assert o["policy.cap.start_year"] == o["policy.decentralization.start_year"] == 1990
    assert o["policy.decentralization.to_min_rank"] <= base["network_n_cities"]
    assert app.overrides(app.preset_settings("neutral"), base)["policy.cap.enabled"] is False


def test_big_scenarios_are_cut_to_demo_size():
    base = sim.load_scenario("china").values
    assert app.overrides(app.preset_settings("neutral"), base)["simulation.n_agents"] == app.DEMO_MAX_AGENTS


@pytest.mark.parametrize("seed", ["", "1.5", "-1", str(2**32), "abc"])
def test_bad_seeds_are_input_errors(seed):
    with pytest.raises(sim.InputError, match="seed"):
        app.parse_seed(seed)
    session, message = app.try_build(app.Settings(seed=seed), "teaching")
    assert session is None and message.startswith("Not applied: seed: got")  # the field named once


def test_unknown_base_scenario_is_a_message_not_a_crash():
    session, message = app.try_build(app.Settings(), "no_such_scenario")
    assert session is None and "no_such_scenario" in message


def test_demo_defaults_read_the_environment(monkeypatch):
    monkeypatch.setenv(app.BASE_ENV, "cap")
    assert app.demo_defaults() == ("teaching", "cap", "synthetic")
    monkeypatch.setenv(app.BASE_ENV, "china")
    assert app.demo_defaults() == ("teaching", "neutral", "china")
    monkeypatch.setenv(app.BASE_ENV, "harris_todaro")
    assert app.demo_defaults() == ("harris_todaro", "neutral", "synthetic")
    monkeypatch.delenv(app.BASE_ENV)
    assert app.demo_defaults() == ("teaching", "neutral", "synthetic")


def test_what_happened_names_the_policy_and_the_binding_cap():
    s = app.build_session(app.preset_settings("cap", map="china"))
    names = [label for label in s.runs[0].names]
    s.jump(1990)
    line = lesson.what_happened(s.history(), names)
    assert line.startswith("1990: Population caps on the largest cities begins")
    sentences = []
    for _ in range(12):
        s.step()
        sentences.append(lesson.what_happened(s.history(), names))
    assert any("'s cap binds" in t and "residents at a" in t for t in sentences), sentences
    numbers = dict((n, val) for n, val, _ in lesson.key_numbers(s.now()))
    assert float(numbers["Zipf exponent"]) == pytest.approx(s.now().metrics["zipf_exponent"], abs=0.005)
    assert numbers["Poverty, migrants in cities"].endswith("%")


def test_china_map_cities_have_chinese_names_and_outlines():
    s = app.build_session(app.Settings(map="china"))
    labels = app._labels(s, 0)
    assert len(labels) == 36 and "Beijing 北京" in labels and "Chongqing 重庆" in labels
    assert chinese_name(["Chengdu"], ["Chengdu", "天府", "成都", "成都市"]) == "成都"
    assert chinese_name(["X"], ["X"]) == ""
    lon, lat = province_outlines()
    points = np.array([(x, y) for x, y in zip(lon, lat) if x is not None], float)
    assert len(points) > 2000 and None in lon
    assert 73 < points[:, 0].min() < 80 and 130 < points[:, 0].max() < 136  # China's extent
    assert points[:, 1].min() < 22 and 50 < points[:, 1].max() < 54


def test_map_colour_scale_fits_the_data():
    s = app.build_session(app.Settings())
    s.jump(1990)
    top = frames.frame(s, 8)["scale"]["map.poverty.official"]
    highest = max(float(r.poverty_rate[r.active].max()) for r in s.runs[0].records)
    assert highest <= top <= highest + 0.1 + 1e-9
    assert charts.nice_ceiling(0.23) == pytest.approx(0.3) and charts.nice_ceiling(0.0) == pytest.approx(0.1)


def test_csv_exports_every_year_shown_and_every_city():
    s = app.build_session(app.Settings(compare="cap"))
    s.jump(1985)
    yearly = charts.yearly_csv(s).splitlines()
    assert yearly[0].startswith("run,seed,") and len(yearly) == 1 + 2 * 4
    cities = charts.cities_csv(s).splitlines()
    assert cities[0] == "run,year,city,residents,migrants,urban_hukou_share,poverty_rate,cap,founded"
    assert len(cities) == 1 + 2 * 12


def test_policy_sliders_keep_the_defaults_on_their_grid():
    """A slider snaps its value to low + k * step: every default and preset value must be on the grid,
    or drawing the slider would change the setting (a cap of 1.00 became 1.01)."""
    import sim

    values = [sess.policy_defaults(sim.load_scenario(name).values) for name in ("teaching", "china")]
    values += [dict(p.policy) for p in app.PRESETS.values()]
    for c in app.policies.by_key(1982, 2022).values():
        if c.kind not in ("int", "float"):
            continue
        for v in values:
            if c.key in v:
                k = (float(v[c.key]) - c.low) / c.step
                assert abs(k - round(k)) < 1e-6, (c.key, v[c.key], c.low, c.step)
