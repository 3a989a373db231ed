"""Animations for slides and handouts: the city map beside the poverty plot, one frame per year.

GIFs are written with matplotlib's PillowWriter (no ffmpeg needed); MP4s with its FFMpegWriter,
which needs the ``ffmpeg`` program: without it the answer is a clear :class:`InputError`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Sequence

from sim.errors import InputError

FORMATS = (".gif", ".mp4")
MAX_FPS = 100.0  # beyond this no player shows the frames (GIF delays are counted in 1/100 s)


def writer_for(out: str | Path, fps: float):
    """The matplotlib animation writer for ``out``'s extension, or InputError."""
    from matplotlib import animation

    suffix = Path(out).suffix.lower()
    if suffix == ".gif":
        return animation.PillowWriter(fps=fps)
    if suffix == ".mp4":
        if not animation.writers.is_available("ffmpeg"):
            raise InputError("--out", "out", f"{out}: writing MP4 needs the ffmpeg program, which was not found "
                             "on PATH; install ffmpeg or write a .gif instead")
        return animation.FFMpegWriter(fps=fps, codec="h264", extra_args=["-pix_fmt", "yuv420p"])
    raise InputError("--out", "out", f"got {str(out)!r}; expected a file name ending in .gif or .mp4")


def lead_in(model: Any, steps: int, horizon: int) -> int:
    """Years to run before the first frame, so that a short animation shows its policy in force.

    With fewer frames than the run has years, the frames end ``steps // 2`` years after the first
    policy starts (so ``animate cap --steps 20`` shows 2004-2024 around the 2014 cap, not 1982-2002),
    never past the scenario's last year.  Without policies, or when they start early enough, 0."""
    # the scenario's own policies (caps, steering, reform), not the dated history every China scenario shares
    starts = [int(p.start_year) for p in getattr(model, "policies", ())
              if getattr(p, "start_year", None) is not None and getattr(p, "directive", True)]
    if not starts or steps >= horizon:
        return 0
    first = min(starts) - int(model.start_year)
    wanted = first + steps // 2 - steps
    return int(min(max(wanted, 0), max(horizon - steps, 0)))


def animate(scenario: Any, out: str | Path, steps: int | None = None, seed: int = 0,
            overrides: Sequence[str] | dict | None = None, colour_by: str = "poverty", fps: float = 4.0,
            dpi: int = 80, progress: Callable[[int, int], None] | None = None) -> int:
    """Run ``scenario`` for ``steps`` years and write one frame per year, plus the start, to ``out``.

    Returns the number of frames written (``steps + 1``)."""
    import sim
    from sim import params as P
    from sim.outputs import atomic_file, check_file_target
    from sim.viz import drawing

    out = Path(out)
    steps_param = P.BY_KEY["simulation.steps"]  # one limit table for files and the command line
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                              or not steps_param.low <= steps <= steps_param.high):
        raise InputError("--steps", "steps", f"got {steps!r}; expected an integer from {steps_param.low:g} "
                                             f"to {steps_param.high:g}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**63 - 1:
        raise InputError("--seed", "seed", f"got {seed!r}; expected an integer from 0 to {2**63 - 1}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) \
            or not 0 < fps <= MAX_FPS:
        raise InputError("--fps", "fps", f"got {fps!r}; expected a number > 0 and <= {MAX_FPS:g}")
    if out.exists() and out.is_dir():
        raise InputError("--out", "out", f"{out} is a directory; give a file name ending in .gif or .mp4")
    writer = writer_for(out, fps)  # before the run: a bad name or missing ffmpeg fails fast
    check_file_target(out)  # and a file that cannot be written there
    sc = sim.load_scenario(scenario, overrides)
    steps = sc.steps if steps is None else steps
    model = sim.MigrationModel.from_scenario(sc, rng=seed)
    drawing.remember_initial_sizes(model)
    size_ref = float(model._viz_initial_sizes.max())
    label = sc.name
    lead = lead_in(model, steps, sc.steps)
    for _ in range(lead):  # run up to the first frame without drawing
        model.step()

    fig = drawing.new_figure(11.0, 4.6, dpi=dpi)
    frames = 0
    # frames go to a temporary file beside ``out`` (with its extension: writers choose the format
    # by it), renamed onto ``out`` when complete: a fault leaves the old animation untouched
    with atomic_file(out, suffix=f".partial{out.suffix}") as tmp:
        with writer.saving(fig, str(tmp), dpi):
            for t in range(steps + 1):
                if t:
                    model.step()
                fig.clear()
                ax_map, cax = drawing.map_axes(fig, (0.0, 0.0, 0.5, 1.0))
                drawing.draw_map(ax_map, model, colour_by, size_ref=size_ref, title=f"{label}: {model.year}",
                                 cax=cax)
                ax_plot = fig.add_axes((0.58, 0.14, 0.4, 0.74))
                drawing.plot_poverty(ax_plot, [(label, model)], horizon=lead + steps)
                writer.grab_frame()
                frames += 1
                if progress:
                    progress(t, steps)
    return frames
