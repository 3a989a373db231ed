"""Headless tests of the teaching page: render it with Solara (as Mesa's own visualization tests
do), press its buttons and read its widgets."""

from __future__ import annotations

import time

import ipyvuetify as v
import ipywidgets as w
import numpy as np
import pytest
import solara

import sim
from sim.viz import app


def render(monkeypatch, scenario: str | None = None):
    if scenario is None:
        monkeypatch.delenv(app.BASE_ENV, raising=False)
    else:
        monkeypatch.setenv(app.BASE_ENV, scenario)
    # the server wraps every page in an AppLayout; without it the sidebar is not rendered
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    return rc


def text(rc, cls: str) -> list[str]:
    return [x.children[0] for x in rc.find(v.Html, class_=cls).widgets]


def images(rc, cls: str) -> list[bytes]:
    return [img.value for img in rc.find(w.Image).widgets if img in _inside(rc, cls)]


def _inside(rc, cls: str) -> list:
    return [img for box in rc.find(v.Sheet, class_=f"d-flex ma-0 {cls}").widgets for img in box.children]


def click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def errors(rc) -> list[str]:
    return [a.children[0] for a in rc.find(v.Alert).widgets if a.type == "error"]


@pytest.mark.parametrize("preset", list(app.PRESETS))
def test_each_preset_renders_and_steps(monkeypatch, preset):
    rc = render(monkeypatch, preset)
    assert errors(rc) == []
    assert text(rc, "step-counter") == ["Step 0 of 40 · year 1982"]
    maps, plots = images(rc, "hukou-map"), images(rc, "hukou-plot")
    assert len(maps) == 1 and len(plots) == 4
    assert all(len(img) > 5000 for img in maps + plots)  # real PNGs, not empty placeholders
    assert app.describe(app.preset_settings(preset)) in text(rc, "run-description")[0]

    click(rc, "Step")
    assert text(rc, "step-counter") == ["Step 1 of 40 · year 1983"]
    assert images(rc, "hukou-map")[0] != maps[0]
    changed = [a != b for a, b in zip(images(rc, "hukou-plot"), plots)]
    assert sum(changed) >= 3  # the time plots grow; rank-size moves with the cities


def test_side_by_side_shows_two_maps_stepping_together(monkeypatch):
    rc = render(monkeypatch, "cap")
    rc.find(v.Select, class_="compare-select").widget.v_model = app.PRESETS["neutral"].label
    assert any("press Reset" in a.children[0] for a in rc.find(v.Alert).widgets)
    click(rc, "Reset")
    assert len(images(rc, "hukou-map")) == 2
    runs = text(rc, "run-description")
    assert runs[0].startswith("Running: A: cap 1.00x") and runs[1] == "Running: B: no central policy"
    click(rc, "Step")
    click(rc, "Step")
    assert text(rc, "step-counter") == ["Step 2 of 40 · year 1984"]
    assert len(text(rc, "status-line")) == 2
    assert all(s.startswith("1984:") for s in text(rc, "status-line"))


def test_cap_slider_then_reset_changes_the_model(monkeypatch):
    rc = render(monkeypatch, "neutral")
    before = text(rc, "run-description")
    assert before == ["Running: no central policy (seed 0)"]
    rc.find(v.Slider, label="Cap level").widget.v_model = 0.5
    # nothing changes until Reset
    assert text(rc, "run-description") == before
    click(rc, "Reset")
    assert text(rc, "run-description") == ["Running: cap 0.50x on 4 largest, enforcement 0.60 (seed 0)"]
    assert not any("press Reset" in a.children[0] for a in rc.find(v.Alert).widgets)


def test_bad_seed_is_reported_in_the_page_and_the_old_run_goes_on(monkeypatch):
    rc = render(monkeypatch)
    field = rc.find(v.TextField, class_="seed-input").widget
    field.v_model = "forty-two"
    assert field.error and "whole number" in " ".join(field.messages)
    click(rc, "Reset")
    assert len(errors(rc)) == 1 and "seed" in errors(rc)[0] and "forty-two" in errors(rc)[0]
    click(rc, "Step")  # the running model was kept
    assert text(rc, "step-counter") == ["Step 1 of 40 · year 1983"]
    field.v_model = "7"
    click(rc, "Reset")
    assert errors(rc) == []
    assert text(rc, "step-counter") == ["Step 0 of 40 · year 1982"]
    assert text(rc, "run-description") == ["Running: no central policy (seed 7)"]


def test_a_failing_step_is_shown_not_raised(monkeypatch):
    rc = render(monkeypatch)

    def broken(self):
        raise RuntimeError("negative rent in city 3")

    monkeypatch.setattr(app.Session, "step", broken)
    click(rc, "Step")
    assert len(errors(rc)) == 1 and "negative rent in city 3" in errors(rc)[0]
    assert text(rc, "step-counter") == ["Step 0 of 40 · year 1982"]


def test_colour_toggle_redraws_the_map(monkeypatch):
    rc = render(monkeypatch)
    before = images(rc, "hukou-map")
    rc.find(v.BtnToggle, class_="colour-toggle").widget.v_model = 1  # index of "migrant share"
    after = images(rc, "hukou-map")
    assert after != before
    assert images(rc, "hukou-plot")  # the plots are still there


@pytest.mark.slow
def test_play_runs_to_the_end_and_stops(monkeypatch, tmp_path):
    # (pausing mid-run is checked in the real browser: in a headless render the play thread has
    # no client to pace it).  A 6-year version of teaching keeps the drawing time down.
    short = tmp_path / "short.toml"
    short.write_text('name = "short"\ndescription = "teaching, 6 years"\nextends = "teaching"\n\n'
                     '[simulation]\nsteps = 6\n')
    rc = render(monkeypatch, str(short))
    assert text(rc, "step-counter") == ["Step 0 of 6 · year 1982"]
    click(rc, "Play")
    deadline = time.monotonic() + 60
    while text(rc, "step-counter")[0] != "Step 6 of 6 · year 1988" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert text(rc, "step-counter") == ["Step 6 of 6 · year 1988"]
    time.sleep(0.5)
    assert rc.find(v.Btn, children=["Step"]).widget.disabled
    assert rc.find(v.Btn, children=["Play"]).widget.disabled
    assert errors(rc) == []
    click(rc, "Reset")
    assert text(rc, "step-counter") == ["Step 0 of 6 · year 1982"]
    assert not rc.find(v.Btn, children=["Step"]).widget.disabled


# ------------------------------------------------------------------------- the logic behind the page
def test_side_by_side_runs_share_the_seed_and_start_equal():
    session = app.build_session(app.Settings(preset="cap", cap_level=1.0, seed="3", compare="neutral"))
    a, b = (r.model for r in session.runs)
    np.testing.assert_array_equal(a.city_population(), b.city_population())
    for _ in range(15):
        session.step()
    assert a.time == b.time == 15
    # the cap (from 1990) binds on the largest cities in run A only
    assert np.isfinite(a.cities.cap).sum() == 4 and np.isinf(b.cities.cap).all()
    assert a.city_population().max() < b.city_population().max()


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
    assert session is None and message.startswith("Not applied: seed")


def test_unknown_base_scenario_is_a_message_not_a_crash():
    session, message = app.try_build(app.Settings(), "no_such_scenario")
    assert session is None and "no_such_scenario" in message


def test_demo_defaults_read_the_environment(monkeypatch):
    monkeypatch.setenv(app.BASE_ENV, "cap")
    assert app.demo_defaults() == ("teaching", "cap")
    monkeypatch.setenv(app.BASE_ENV, "harris_todaro")
    assert app.demo_defaults() == ("harris_todaro", "neutral")
    monkeypatch.delenv(app.BASE_ENV)
    assert app.demo_defaults() == ("teaching", "neutral")
