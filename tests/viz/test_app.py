"""Headless tests of the teaching page: render it with Solara (as Mesa's own visualization tests
do), press its buttons and read its widgets; and the run logic behind it."""

from __future__ import annotations

from dataclasses import dataclass

import ipyvuetify as v
import numpy as np
import pytest
import solara

import sim
from sim.viz import app, charts, lesson, session as sess
from sim.viz.chinamap import chinese_name, province_outlines


def render(monkeypatch, scenario: str | None = None):
    if scenario is None:
        monkeypatch.delenv(app.BASE_ENV, raising=False)
    else:
        monkeypatch.setenv(app.BASE_ENV, scenario)
    # the server wraps every page in an AppLayout; without it the sidebar is not rendered
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    return rc


def timebar(rc):
    return next(w for w in rc.find(v.VuetifyTemplate).widgets if hasattr(w, "vue_step"))


def chart_figures(rc, cls: str = "") -> list[dict]:
    return [w.figure for w in rc.find(v.VuetifyTemplate).widgets
            if hasattr(w, "figure") and cls in (w.class_name or "")]


def press(rc, event: str, year: int | None = None) -> None:
    bar = timebar(rc)
    bar._event_callbacks[event](bar.shown if year is None else year)


def text(rc, cls: str) -> list[str]:
    return [x.children[0] for x in rc.find(v.Html, class_=cls).widgets]


def errors(rc) -> list[str]:
    return [a.children[0] for a in rc.find(v.Alert).widgets if a.type == "error"]


@pytest.mark.parametrize("preset", list(app.PRESETS))
def test_each_preset_renders_and_steps(monkeypatch, preset):
    rc = render(monkeypatch, preset)
    assert errors(rc) == []
    assert timebar(rc).counter == "Step 0 of 40 · year 1982"
    figures = chart_figures(rc)
    assert len(figures) == 5 and all(f["year"] == 1982 for f in figures)
    assert app.describe(app.preset_settings(preset)) in text(rc, "run-description")[0]
    press(rc, "step")
    assert timebar(rc).counter == "Step 1 of 40 · year 1983"
    after = chart_figures(rc)
    assert all(f["year"] == 1983 for f in after)
    assert after[1]["data"][0]["x"] == [1982, 1983]  # the poverty plot grew by a year
    assert text(rc, "what-happened")[0].startswith("1983: ")


def test_side_by_side_has_two_sets_of_plots_and_a_difference(monkeypatch):
    rc = render(monkeypatch, "cap")
    rc.find(v.Select, class_="compare-select").widget.v_model = app.PRESETS["neutral"].label
    assert any("press Reset" in a.children[0] for a in rc.find(v.Alert).widgets)
    rc.find(v.Btn, class_="reset-button").widget.click()
    runs = text(rc, "run-description")
    assert runs[0].startswith("Running: A: cap 1.00x") and runs[1] == "Running: B: no central policy"
    assert len(chart_figures(rc, "hukou-map")) == 2 and len(chart_figures(rc, "poverty-plot")) == 2
    assert len(chart_figures(rc, "difference")) == 2
    press(rc, "jump", 1995)
    assert timebar(rc).counter == "Step 13 of 40 · year 1995"
    a, b = chart_figures(rc, "poverty-plot")
    assert a["layout"]["yaxis"]["range"] == b["layout"]["yaxis"]["range"]  # shared axes
    assert a["data"][0]["y"] != b["data"][0]["y"]  # every series for both runs
    diff_map = chart_figures(rc, "difference-map")[0]
    assert any(abs(c) > 0 for c in diff_map["data"][0]["marker"]["color"])
    assert len(text(rc, "what-happened")) == 2


def test_cap_slider_then_reset_changes_the_model(monkeypatch):
    rc = render(monkeypatch, "neutral")
    before = text(rc, "run-description")
    assert before == ["Running: no central policy (seed 0)"]
    slider = next(s for s in rc.find(v.Slider).widgets if s.label.startswith("Cap level"))
    assert slider.label == "Cap level: no cap"
    slider.v_model = 0.5
    slider = next(s for s in rc.find(v.Slider).widgets if s.label.startswith("Cap level"))
    assert slider.label == "Cap level: 0.50 × size when decreed"  # value and unit on the slider
    assert text(rc, "run-description") == before  # nothing changes until Reset
    rc.find(v.Btn, class_="reset-button").widget.click()
    assert text(rc, "run-description") == ["Running: cap 0.50x on 4 largest, enforcement 0.60 (seed 0)"]


def test_every_slider_shows_value_unit_and_the_parameter_help():
    from sim.params import BY_NAME

    for spec in app.SLIDERS:
        assert spec.param in BY_NAME
        assert BY_NAME[spec.param].doc in app.slider_help(spec)
        assert any(ch.isdigit() for ch in spec.fmt(spec.high))


def test_bad_seed_is_reported_in_the_page_and_the_old_run_goes_on(monkeypatch):
    rc = render(monkeypatch)
    field = rc.find(v.TextField, class_="seed-input").widget
    field.v_model = "forty-two"
    assert field.error and "whole number" in " ".join(field.messages)
    rc.find(v.Btn, class_="reset-button").widget.click()
    assert len(errors(rc)) == 1 and errors(rc)[0].startswith("Not applied: seed: got 'forty-two'")
    press(rc, "step")  # the running model was kept
    assert timebar(rc).counter == "Step 1 of 40 · year 1983"
    field.v_model = "7"
    rc.find(v.Btn, class_="reset-button").widget.click()
    assert errors(rc) == []
    assert timebar(rc).counter == "Step 0 of 40 · year 1982"
    assert text(rc, "run-description") == ["Running: no central policy (seed 7)"]


def test_a_failing_step_is_shown_not_raised(monkeypatch):
    rc = render(monkeypatch)

    def broken(self):
        raise RuntimeError("negative rent in city 3")

    monkeypatch.setattr(sess.Session, "_advance_models", broken)
    press(rc, "step")
    assert len(errors(rc)) == 1 and "negative rent in city 3" in errors(rc)[0]
    assert timebar(rc).counter == "Step 0 of 40 · year 1982"


def test_colour_choice_recolours_the_map(monkeypatch):
    rc = render(monkeypatch)
    press(rc, "jump", 1990)
    before = chart_figures(rc, "hukou-map")[0]["data"][1]["marker"]["color"]
    rc.find(v.Select, class_="colour-select").widget.v_model = "migrant share"
    after = chart_figures(rc, "hukou-map")[0]
    assert after["data"][1]["marker"]["color"] != before
    assert after["data"][1]["marker"]["colorbar"]["title"]["text"].startswith("Migrant share")
    assert "colour=migrants" in timebar(rc).query


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
    official = chart_figures(rc, "poverty-plot")[0]["data"][0]["y"]
    select.v_model = "Dollar-a-day line"
    assert text(rc, "hukou-help line-meaning") == ["A person is poor below about a dollar a day."]
    assert chart_figures(rc, "poverty-plot")[0]["data"][0]["y"] == pytest.approx([y / 2 for y in official], abs=1e-5)
    assert "line=extreme" in timebar(rc).query


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
    session = app.build_session(app.Settings(preset="cap", cap_level=1.0, seed="3", compare="neutral"))
    a, b = (r.model for r in session.runs)
    np.testing.assert_array_equal(a.city_population(), b.city_population())
    for _ in range(15):
        session.step()
    assert a.time == b.time == 15
    assert np.isfinite(a.cities.cap).sum() == 4 and np.isinf(b.cities.cap).all()
    assert a.city_population().max() < b.city_population().max()


def test_url_round_trip_and_bad_urls():
    settings = app.Settings(preset="cap", cap_level=0.75, seed="9", compare="neutral", map="china")
    query = app.to_query(settings, 1999, app.View(colour="hukou", line="extreme"))
    back, year, view, problems = app.from_query(query, app.Settings())
    assert (back, year, view, problems) == (settings, 1999, app.View("hukou", "extreme"), [])
    back, year, view, problems = app.from_query("preset=atlantis&cap=-1&year=soon&map=mars", app.Settings())
    assert back == app.Settings() and year is None
    assert any(p.startswith("URL: preset: got 'atlantis'") for p in problems)
    assert any(p.startswith("URL: cap:") for p in problems) and any(p.startswith("URL: map:") for p in problems)


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
    top = charts.colour_top(s, "poverty")
    highest = max(float(r.poverty_rate[r.active].max()) for r in s.runs[0].records)
    assert highest <= top <= highest + 0.1 + 1e-9
    fig = charts.map_figure(s, 0, "poverty", app._labels(s, 0), charts.labelled_cities(s, 5))
    assert fig["data"][1]["marker"]["cmax"] == top
    assert charts.nice_ceiling(0.23) == pytest.approx(0.3) and charts.nice_ceiling(0.0) == pytest.approx(0.1)


def test_csv_exports_every_year_shown_and_every_city():
    s = app.build_session(app.Settings(compare="cap"))
    s.jump(1985)
    yearly = charts.yearly_csv(s).splitlines()
    assert yearly[0].startswith("run,seed,") and len(yearly) == 1 + 2 * 4
    cities = charts.cities_csv(s).splitlines()
    assert cities[0] == "run,year,city,residents,migrants,urban_hukou_share,poverty_rate,cap,founded"
    assert len(cities) == 1 + 2 * 12
