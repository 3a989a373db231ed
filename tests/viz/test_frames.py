"""What the page's board is sent: a spec per run and a frame per year (sim.viz.frames), the map's
poverty at every line, and the thread that runs the models ahead of the year shown."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from sim.viz import app, frames, session as sess
from sim.viz.citymetrics import poor_by_line, poverty_line_values, snapshot


def test_frames_do_not_depend_on_how_far_ahead_the_models_ran():
    """Ranges cover the years up to the frame's own: computing ahead changes nothing on screen."""
    stepped = app.build_session(app.preset_settings("cap", seed="4", compare="neutral"))
    for _ in range(6):
        stepped.step()
        frames.ensure(stepped, stepped.computed)
    ahead = app.build_session(app.preset_settings("cap", seed="4", compare="neutral"))
    ahead.jump(1995)
    frames.ensure(ahead, ahead.computed)
    assert json.dumps(stepped.frames, allow_nan=False) == json.dumps(ahead.frames[:7], allow_nan=False)
    assert ahead.frames[13]["scale"]["map.poverty.official"] >= ahead.frames[6]["scale"]["map.poverty.official"]


def test_a_frame_is_small_json_with_every_line_and_both_runs():
    s = app.build_session(app.preset_settings("cap", map="china", compare="neutral"))
    s.jump(1992)
    f = frames.frame(s, 10)
    text = json.dumps(f, allow_nan=False)  # NaN would break the browser's JSON.parse
    assert len(text) < 40_000
    lines = frames.lines_reported(s)
    assert lines[0] == "official"
    for run, rec in zip(f["runs"], (s.now(0), s.now(1))):
        assert set(run["sentence"]) == set(lines) == set(run["cities"]["poverty"])
        assert run["cities"]["pop"] == [round(p) for p in rec.population]
        assert run["rank"] == sorted(run["rank"], reverse=True)
    spec = frames.spec(s, s.token)
    assert "Beijing 北京" in spec["map"]["names"] and len(spec["map"]["outline"]) > 10_000
    assert len(spec["numbers"]) == len(f["numbers"]["official"])
    json.dumps(spec, allow_nan=False)


def test_map_poverty_follows_the_chosen_line():
    """Per city, poverty at each line: the official one is the map's old count, higher lines count more poor."""
    s = app.build_session(app.Settings(map="china"))
    s.jump(1990)
    model = s.runs[0].model
    values = poverty_line_values(model)
    assert values["official"] == pytest.approx(float(model.p["poverty_line"]))
    assert values["official"] < values["wb365"] < values["wb685"]
    poor = poor_by_line(model, values)
    np.testing.assert_allclose(poor["official"], snapshot(model).poor)
    assert np.all(poor["wb685"] >= poor["wb365"]) and poor["wb685"].sum() > poor["official"].sum()
    cities = frames.frame(s, 8)["runs"][0]["cities"]["poverty"]
    assert cities["official"] != cities["wb685"]
    assert sum(cities["wb685"]) > sum(cities["official"])


def test_the_relative_line_is_the_one_the_outputs_use():
    """Half the median of the same people the model's outputs count: the headcount below it matches."""
    from sim.households import guarantee_cells

    s = app.build_session(app.Settings())
    s.jump(1995)
    model = s.runs[0].model
    z = poverty_line_values(model)["relative50"]
    p, m, v, c = model.p, model.migrants, model.villagers, model.cities
    d = model.native_income.shape[1]
    vi, vw = guarantee_cells(model.villager_decile_income.ravel(),
                             np.repeat(np.bincount(v.city, weights=v.weight, minlength=c.natives.size) / d, d),
                             model.urban_guarantee, p["dibao_coverage"])
    ni, nw = guarantee_cells(model.native_income.ravel(), np.repeat((c.natives + c.urban_movers) / d, d),
                             model.urban_guarantee, p["dibao_coverage"])
    incomes, weights = np.concatenate([m.income, vi, ni]), np.concatenate([m.weight, vw, nw])
    share = float(weights[incomes < z].sum() / weights.sum())
    assert share == pytest.approx(model.metrics()["poverty_headcount_relative50"], abs=1e-9)


def test_ahead_worker_runs_the_models_ahead_and_stops():
    s = app.build_session(app.Settings())
    years: list[int] = []
    worker = app.AheadWorker(lambda: s, lambda: years.append(s.computed), lambda session, exc: None)
    worker.start(None)
    worker.wake.set()
    deadline = time.monotonic() + 60
    while s.computed < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert s.computed == 1 and s.shown == 0  # paused: one year ahead, the year shown unchanged
    worker.set_playing(True, 4)  # playing at 4 years a second: ~1.5 s of play ahead
    while s.computed < 7 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert s.computed == 7 and years == list(range(1, 8)) and len(s.frames) == 8
    worker.stop()
    worker.thread.join(timeout=10)
    assert not worker.thread.is_alive()
    fresh = app.build_session(app.Settings())
    fresh.jump(1989)
    np.testing.assert_array_equal(fresh.now().population, s.runs[0].records[7].population)


def test_ahead_worker_reports_a_failing_year():
    s = app.build_session(app.Settings())
    failed = threading.Event()

    def broken():
        raise RuntimeError("negative rent")

    s._advance_models = broken
    worker = app.AheadWorker(lambda: s, lambda: None, lambda session, exc: failed.set())
    worker.start(None)
    worker.wake.set()
    assert failed.wait(timeout=30)
    worker.stop()
    worker.thread.join(timeout=10)
    assert s.computed == 0


def test_session_tokens_differ():
    a = sess.build_session(app.Settings())
    b = sess.build_session(app.Settings())
    assert a.token != b.token
