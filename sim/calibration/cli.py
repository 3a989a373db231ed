"""``hukou-sim calibrate``: fit free parameters to the targets and write a calibrated scenario.

Writes ``OUT`` (a scenario file that ``extends`` the calibrated one and sets only the fitted
values, with a header saying when, with which version, by which method and how well) and a JSON
report beside it (``<stem>.calibration.json``: settings, seeds, every evaluation, and per target
the observed value, simulated mean and 95% interval over replications, band and pass/fail).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

from .. import params as P
from ..errors import InputError
from . import fit as F
from . import targets as T

METHOD = ("weighted squared loss in band units over the mean of R replications with common random numbers; "
          "Latin hypercube (half the budget) then bounded Nelder-Mead (scipy)")


def _version() -> str:
    from .. import __version__
    return __version__


def report_path(out: Path) -> Path:
    return out.with_name(out.stem + ".calibration.json")


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "nan"
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.4g}"


def scenario_text(result: F.CalibrationResult, name: str, date: str) -> str:
    """The calibrated scenario file: header comment, extends, the fitted values by section."""
    base = result.scenario
    from ..scenario import SCENARIO_DIR
    src = Path(base.source)
    # a bundled scenario by name; any other file by its absolute path
    extends = src.stem if src.parent.resolve() == SCENARIO_DIR.resolve() else str(src.resolve())
    held = ", ".join(t.name for t in result.targets.held_out) or "none"
    lines = [
        f"# Calibrated by `hukou-sim calibrate` on {date}, hukou-sim {_version()}.",
        f"# Method: {METHOD}.",
        f"# Runs: {result.settings['replications']} replication(s) (seeds {', '.join(map(str, result.seeds))}), "
        f"{result.settings['evaluations']} evaluations, "
        f"overrides {json.dumps(result.settings['overrides'])}, {result.steps} years from {base.start_year}.",
        f"# Loss (sum of squared deviations in band units over {len(result.targets.fitted)} fitted targets): "
        f"{result.best.loss:.4g}.  Held out: {held}.",
        "# Fitted values (search range):",
    ]
    for f in result.free:
        lines.append(f"#   {f.key} = {result.best.values[f.key]:g}  ({f.low:g} to {f.high:g})")
    lines.append("# Per target (observed / simulated mean / band / pass):")
    for row in result.table():
        lines.append(f"#   {row['target']:<28} {row['role']:<8} {_fmt(row['observed']):>10} "
                     f"{_fmt(row['simulated']):>10} {row['band_text']:>8} {'pass' if row['pass'] else 'FAIL'}")
    lines.append(f"# Report: {report_path(Path(name + '.toml')).name}")
    lines += ["", f'name = "{name}"',
              f'description = "{base.description.rstrip(".")}, calibrated to NBS urbanization, floating population, '
              f'income ratio, hukou urbanization and census population (see docs/validation.md)"',
              f'extends = "{extends}"']
    sections: dict[str, list[str]] = {}
    for f in result.free:
        p = P.BY_KEY[f.key]
        sections.setdefault(p.section, []).append(f"{f.key.rsplit('.', 1)[-1]} = {result.best.values[f.key]!r}")
    for section, items in sections.items():
        lines += ["", f"[{section}]", *items]
    return "\n".join(lines) + "\n"


def _safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if hasattr(x, "item"):
        return _safe(x.item())
    if isinstance(x, dict):
        return {k: _safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_safe(v) for v in x]
    return x


def report(result: F.CalibrationResult, name: str, date: str) -> dict[str, Any]:
    return _safe({
        "scenario": name,
        "base_scenario": result.scenario.name,
        "date": date,
        "version": _version(),
        "method": METHOD,
        "settings": result.settings,
        "seeds": result.seeds,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "free_parameters": [{"key": f.key, "low": f.low, "high": f.high, "why": f.why,
                             "start": float(result.scenario.values[P.BY_KEY[f.key].name]),
                             "fitted": result.best.values[f.key]} for f in result.free],
        "loss": result.best.loss,
        "fitted_targets": [t.name for t in result.targets.fitted],
        "held_out": [t.name for t in result.targets.held_out],
        "targets": result.table(),
        "replication_values": {k: list(map(float, v)) for k, v in result.best.per_target.items()},
        "history": [{"stage": e.stage, "loss": e.loss, "values": e.values, "seconds": round(e.seconds, 2)}
                    for e in result.history],
    })


def write_outputs(result: F.CalibrationResult, out: Path, date: str | None = None) -> tuple[Path, Path]:
    from ..outputs import atomic_file
    date = date or _dt.date.today().isoformat()
    name = out.stem
    rp = report_path(out)
    # both files are written in full before either is renamed into place: a fault leaves the old
    # pair, never a new scenario beside the report of an older fit
    with atomic_file(out) as tmp_scenario, atomic_file(rp) as tmp_report:
        tmp_scenario.write_text(scenario_text(result, name, date), encoding="utf-8")
        tmp_report.write_text(json.dumps(report(result, name, date), indent=2) + "\n", encoding="utf-8")
    return out, rp


def _free_arg(text: str) -> F.FreeParameter:
    """KEY or KEY=LOW:HIGH (default range: the built-in one for that key, else the schema bounds)."""
    key, _, rng = text.partition("=")
    key = key.strip()
    default = {f.key: f for f in F.FREE_PARAMETERS}
    if key not in P.BY_KEY:
        raise InputError("--free", key, "unknown parameter (see 'hukou-sim check --list')")
    if rng:
        try:
            low, high = (float(x) for x in rng.split(":"))
        except ValueError:
            raise InputError("--free", key, f"range {rng!r} must be LOW:HIGH, two numbers") from None
        return F.FreeParameter(key, low, high, default[key].why if key in default else "")
    if key in default:
        return default[key]
    p = P.BY_KEY[key]
    if p.low is None or p.high is None:
        raise InputError("--free", key, "give a search range as KEY=LOW:HIGH")
    return F.FreeParameter(key, float(p.low), float(p.high))


# Upper bounds of the command line (each candidate costs replications model runs).
MAX_REPLICATIONS = 1000
MAX_BUDGET = 100_000


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..cli import check_int, check_seed
    from ..outputs import check_file_target

    agents = P.BY_KEY["simulation.n_agents"]  # the schema's bounds, as in scenario files
    check_int(args.agents, "--agents", int(agents.low), int(agents.high))
    check_int(args.replications, "--replications", 1, MAX_REPLICATIONS)
    check_int(args.budget, "--budget", 1, MAX_BUDGET)
    check_seed(args.seed)
    out = Path(args.out) if args.out else Path("scenarios") / f"{Path(args.scenario).stem}_calibrated.toml"
    if out.suffix != ".toml":
        raise InputError("--out", "out", f"{out} must be a .toml file")
    if out.exists() and out.is_dir():
        raise InputError("--out", "out", f"{out} is a directory; expected a .toml file")
    check_file_target(out)  # before the fit, not after it
    check_file_target(report_path(out))
    holdout = T.DEFAULT_HOLDOUT if not args.holdout else tuple(h for h in args.holdout if h != "none")
    ts = T.target_set(holdout)
    free = tuple(_free_arg(x) for x in args.free) if args.free else F.FREE_PARAMETERS
    overrides = {"simulation.n_agents": args.agents} if args.agents is not None else {}

    def progress(done: int, total: int, ev: F.Evaluation, best: float) -> None:
        values = " ".join(f"{k.rsplit('.', 1)[-1]}={v:.4g}" for k, v in ev.values.items())
        print(f"  eval {done:>3}/{total} [{ev.stage}] loss {ev.loss:9.3f} (best {best:8.3f})  {values}", flush=True)

    print(f"calibrating {args.scenario}: {len(free)} free parameters, {len(ts.fitted)} fitted targets, "
          f"held out {', '.join(t.name for t in ts.held_out) or 'none'}; budget {args.budget} x "
          f"{args.replications} run(s)", flush=True)
    result = F.calibrate(args.scenario, free=free, targets=ts, replications=args.replications, budget=args.budget,
                         seed=args.seed, overrides=overrides, progress=None if args.quiet else progress)
    scen, rep = write_outputs(result, out)
    print(f"loss {result.best.loss:.4g} at " + ", ".join(f"{k} = {v:g}" for k, v in result.best.values.items()))
    for row in result.table():
        print(f"  {row['target']:<28} {row['role']:<8} observed {_fmt(row['observed']):>10}  simulated "
              f"{_fmt(row['simulated']):>10}  band {row['band_text']:>7}  {'pass' if row['pass'] else 'FAIL'}")
    print(f"wrote {scen} and {rep}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("calibrate", help="fit free parameters to the NBS targets; write a calibrated scenario")
    p.add_argument("--scenario", default="china", help="scenario to calibrate (default china)")
    p.add_argument("--agents", type=int, default=40000, help="migrant agents per run (default 40000)")
    p.add_argument("--replications", type=int, default=2, help="runs per candidate, same seeds for all (default 2)")
    p.add_argument("--budget", type=int, default=60, help="candidate evaluations (default 60)")
    p.add_argument("--holdout", action="append", default=[], metavar="TARGET",
                   help="target left out of the fit and reported as a prediction (repeatable; default "
                        + " and ".join(T.DEFAULT_HOLDOUT) + "; 'none' for none). Targets: " + ", ".join(
                            t.name for t in T.TARGETS if t.role == "fit"))
    p.add_argument("--free", action="append", default=[], metavar="KEY[=LOW:HIGH]",
                   help="parameter to fit (repeatable; default: " + ", ".join(f.key for f in F.FREE_PARAMETERS) + ")")
    p.add_argument("--seed", type=int, default=2024, help="base seed of the replications and the design (default 2024)")
    p.add_argument("--out", default=None, help="calibrated scenario file (default scenarios/<scenario>_calibrated.toml)")
    p.add_argument("--quiet", action="store_true", help="no line per evaluation")
    p.set_defaults(func=cmd_calibrate)
