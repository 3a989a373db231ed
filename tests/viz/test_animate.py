"""``hukou-sim animate``: a GIF with one frame per year plus the start, and one-line errors."""

from __future__ import annotations

import pytest
from PIL import Image

from sim.cli import main
from sim.viz import animate


def test_gif_has_one_frame_per_year_plus_the_start(tmp_path, capsys):
    out = tmp_path / "sub" / "cap.gif"
    assert main(["animate", "teaching", "--out", str(out), "--steps", "4", "--seed", "3",
                 "--set", "policy.cap.enabled=true"]) == 0
    assert "5 frames" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.format == "GIF" and im.n_frames == 5
        assert im.width > 500 and im.height > 200
        frames = []
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(im.convert("L").tobytes())
    assert len(set(frames)) == 5  # every year is drawn anew
    assert not list(tmp_path.glob("sub/.*"))  # no partial file left behind


def test_migrant_colouring(tmp_path):
    assert animate.animate("teaching", tmp_path / "m.gif", steps=1, colour_by="migrants") == 2


@pytest.mark.parametrize("argv, message", [
    (["--out", "x.avi"], "expected a file name ending in .gif or .mp4"),
    (["--out", "x.gif", "--steps", "0"], "--steps: steps: got 0"),
    (["--out", "x.gif", "--set", "policy.cap.level=-1"], "policy.cap.level"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    argv = [a if not a.startswith("x.") else str(tmp_path / a) for a in argv]
    assert main(["animate", "teaching", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_mp4_without_ffmpeg_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from matplotlib import animation as mpl_animation

    monkeypatch.setattr(mpl_animation.writers, "is_available", lambda name: False)
    assert main(["animate", "teaching", "--out", str(tmp_path / "a.mp4"), "--steps", "1"]) == 2
    assert "needs the ffmpeg program" in capsys.readouterr().err


def test_demo_bad_input_exits_2(capsys):
    assert main(["demo", "--port", "70000"]) == 2
    assert "expected an integer from 1 to 65535" in capsys.readouterr().err
    assert main(["demo", "--scenario", "atlantis"]) == 2
    assert "atlantis" in capsys.readouterr().err


def test_short_animation_of_a_policy_shows_it_in_force():
    import sim

    sc = sim.load_scenario("cap")  # cap decreed in 2014, run from 1982 for 40 years
    model = sim.MigrationModel.from_scenario(sc, rng=0, overrides={"simulation.n_agents": 500})
    lead = animate.lead_in(model, 20, sc.steps)
    first, last = sc.values["start_year"] + lead, sc.values["start_year"] + lead + 20
    assert first < 2014 < last <= sc.values["start_year"] + sc.steps
    assert animate.lead_in(model, 40, sc.steps) == 0  # the whole run: nothing skipped
    neutral = sim.MigrationModel.from_scenario("neutral", rng=0, overrides={"simulation.n_agents": 500})
    assert animate.lead_in(neutral, 20, 40) == 0


def test_year_ticks_are_whole_years():
    import sim
    from sim.viz import drawing

    model = sim.MigrationModel.from_scenario("teaching", rng=0, overrides={"simulation.n_agents": 500})
    model.step()
    fig = drawing.new_figure(5, 3)
    ax = fig.add_subplot()
    drawing.plot_poverty(ax, [("t", model)], horizon=3)
    ticks = [t for t in ax.get_xticks() if model.start_year <= t <= model.start_year + 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_demo_bad_host_exits_2(capsys):
    assert main(["demo", "--host", "no such host!"]) == 2
    err = capsys.readouterr().err
    assert "--host: host: got 'no such host!'" in err and "0.0.0.0" in err and len(err.strip().splitlines()) == 1
