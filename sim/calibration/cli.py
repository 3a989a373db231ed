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

METHOD = F.METHOD_LINE


def method_of(result: F.CalibrationResult) -> str:
    """How the fit ran: the hypercube and Nelder-Mead, or Nelder-Mead from a warm start."""
    return F.WARM_METHOD_LINE if result.settings.get("start") else F.METHOD_LINE


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
        f"# Method: {method_of(result)}.",
        f"# Runs: {result.settings['replications']} replication(s) (seeds {', '.join(map(str, result.seeds))}), "
        f"{result.settings['evaluations']} evaluations, "
        f"overrides {json.dumps(result.settings['overrides'])}, {result.steps} years from {base.start_year}.",
        f"# Loss (sum of squared deviations in band units over {len(result.targets.fitted)} fitted targets): "
        f"{result.best.loss:.4g}.  Held out: {held}.",
        "# Fitted values (search range):",
    ]
    if result.settings.get("start"):
        warm = result.settings["start"]
        lines.insert(2, f"# Warm start: Nelder-Mead from the values of scenario {warm['scenario']!r} (no Latin hypercube): "
                        + ", ".join(f"{k} = {v:g}" for k, v in warm["values"].items()) + ".")
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
        "method": method_of(result),
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


def _targets(args: argparse.Namespace) -> T.TargetSet:
    if args.targets:
        from .target_file import load_targets
        targets, weights = load_targets(args.targets)
        holdout = tuple(h for h in args.holdout if h != "none")
        return T.target_set(holdout, targets, weights)
    holdout = T.DEFAULT_HOLDOUT if not args.holdout else tuple(h for h in args.holdout if h != "none")
    return T.target_set(holdout)


# Upper bounds of the command line (each candidate costs replications model runs).
MAX_REPLICATIONS = 1000
MAX_BUDGET = 100_000


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..cli import check_int, check_seed
    from ..outputs import check_file_target
    from ..runner.backends import check_backend_args
    from .simulate import default_store

    agents = P.BY_KEY["simulation.n_agents"]  # the schema's bounds, as in scenario files
    check_int(args.agents, "--agents", int(agents.low), int(agents.high))
    abc = args.method == "abc"
    replications = args.replications if args.replications is not None else (1 if abc else 2)
    check_int(replications, "--replications", 1, MAX_REPLICATIONS)
    check_int(args.budget, "--budget", 1, MAX_BUDGET)
    check_seed(args.seed)
    backend = args.backend or ("process" if abc else "serial")
    check_backend_args(backend, args.workers, args.address)
    suffix = ".json" if abc else ".toml"
    if args.out:
        out = Path(args.out)
    elif abc:
        from .posterior import default_path
        out = default_path(args.scenario)
    else:
        out = Path("scenarios") / f"{Path(args.scenario).stem}_calibrated.toml"
    if out.suffix != suffix:
        raise InputError("--out", "out", f"{out} must be a {suffix} file (method {args.method})")
    if out.exists() and out.is_dir():
        raise InputError("--out", "out", f"{out} is a directory; expected a {suffix} file")
    check_file_target(out)  # before the fit, not after it
    if not abc:
        check_file_target(report_path(out))
    ts = _targets(args)
    free = tuple(_free_arg(x) for x in args.free) if args.free else F.FREE_PARAMETERS
    overrides = {"simulation.n_agents": args.agents} if args.agents is not None else {}
    from ..scenario import load_scenario
    base = load_scenario(args.scenario, overrides)  # a bad scenario fails before any store is made
    start = None
    if args.start:
        if abc:
            raise InputError("--start", "start", "applies to --method nelder-mead only")
        start = load_scenario(args.start, overrides)
    F.steps_for(base, ts.all)
    store = Path(args.store) if args.store else default_store("abc" if abc else "nelder-mead", base)
    if abc:
        return _cmd_abc(args, ts, free, overrides, replications, backend, store, out)

    def progress(done: int, total: int, ev: F.Evaluation, best: float) -> None:
        values = " ".join(f"{k.rsplit('.', 1)[-1]}={v:.4g}" for k, v in ev.values.items())
        print(f"  eval {done:>3}/{total} [{ev.stage}] loss {ev.loss:9.3f} (best {best:8.3f})  {values}", flush=True)

    print(f"calibrating {args.scenario}: {len(free)} free parameters, {len(ts.fitted)} fitted targets, "
          f"held out {', '.join(t.name for t in ts.held_out) or 'none'}; budget {args.budget} x "
          f"{replications} run(s); store {store}", flush=True)
    result = F.calibrate(args.scenario, free=free, targets=ts, replications=replications, budget=args.budget,
                         seed=args.seed, overrides=overrides, progress=None if args.quiet else progress,
                         store=store, backend=backend, workers=args.workers, address=args.address, start=start)
    scen, rep = write_outputs(result, out)
    print(f"loss {result.best.loss:.4g} at " + ", ".join(f"{k} = {v:g}" for k, v in result.best.values.items()))
    for row in result.table():
        print(f"  {row['target']:<28} {row['role']:<8} observed {_fmt(row['observed']):>10}  simulated "
              f"{_fmt(row['simulated']):>10}  band {row['band_text']:>7}  {'pass' if row['pass'] else 'FAIL'}")
    print(f"wrote {scen} and {rep}")
    return 0


def _cmd_abc(args: argparse.Namespace, ts: T.TargetSet, free: tuple[F.FreeParameter, ...], overrides: dict,
             replications: int, backend: str, store: Path, out: Path) -> int:
    from . import abc as A
    from . import posterior as PO

    settings = A.ABCSettings(particles=args.particles, generations=args.generations, alpha=args.alpha,
                             replications=replications, min_acceptance=args.min_acceptance,
                             max_simulations=args.max_simulations, seed=args.seed)
    print(f"ABC-SMC on {args.scenario}: {len(free)} free parameters, {len(ts.fitted)} fitted targets, held out "
          f"{', '.join(t.name for t in ts.held_out) or 'none'}; {settings.particles} particles x "
          f"{replications} run(s), up to {settings.generations} generations and {settings.max_simulations} "
          f"simulations; store {store}", flush=True)
    result = A.run_abc(args.scenario, free=free, targets=ts, settings=settings, overrides=overrides, store=store,
                       backend=backend, workers=args.workers, address=args.address,
                       progress=None if args.quiet else (lambda line: print(line, flush=True)))
    PO.write(result, out)
    data = PO.to_json(result)
    print(f"stopped: {result.stopped}; {result.simulated} simulations run, {result.reused} read from the store, "
          f"in {result.seconds:.0f} s")
    for k, sm in data["summary"].items():
        print(f"  {k:<40} mean {sm['mean']:.4g}  90% interval [{sm['q05']:.4g}, {sm['q95']:.4g}]")
    inside = [p["inside90"] for p in data["predictive"].values() if p["role"] != "fitted"]
    if inside:
        print(f"posterior predictive: {sum(inside)} of {len(inside)} held-out and check targets inside the 90% "
              "predictive interval")
    print(f"wrote {out}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("calibrate", help="fit free parameters to the NBS targets: a calibrated scenario "
                                                "(Nelder-Mead) or a posterior (--method abc)")
    p.add_argument("--method", choices=("nelder-mead", "abc"), default="nelder-mead",
                   help="nelder-mead: a best point, written as a scenario (default); abc: ABC-SMC, a posterior "
                        "(weighted draws) written as JSON")
    p.add_argument("--scenario", default="china", help="scenario to calibrate (default china)")
    p.add_argument("--start", metavar="SCENARIO",
                   help="nelder-mead: warm start from this scenario's values of the free parameters (e.g. an earlier "
                        "calibration), no Latin hypercube; the result still extends --scenario")
    p.add_argument("--agents", type=int, default=40000, help="migrant agents per run (default 40000)")
    p.add_argument("--replications", type=int, default=None,
                   help="runs per candidate (default 2 for nelder-mead, same seeds for all; 1 for abc)")
    p.add_argument("--budget", type=int, default=60, help="nelder-mead: candidate evaluations (default 60)")
    p.add_argument("--particles", type=int, default=200, help="abc: particles per generation (default 200)")
    p.add_argument("--generations", type=int, default=6, help="abc: at most this many generations (default 6)")
    p.add_argument("--alpha", type=float, default=0.5,
                   help="abc: next tolerance = this quantile of the last generation's distances (default 0.5)")
    p.add_argument("--min-acceptance", type=float, default=0.02,
                   help="abc: stop when a generation accepts less than this share of proposals (default 0.02)")
    p.add_argument("--max-simulations", type=int, default=5000, help="abc: at most this many runs (default 5000)")
    p.add_argument("--holdout", action="append", default=[], metavar="TARGET",
                   help="target left out of the fit and reported as a prediction (repeatable; default "
                        + " and ".join(T.DEFAULT_HOLDOUT) + "; 'none' for none). Targets: " + ", ".join(
                            t.name for t in T.TARGETS if t.role == "fit"))
    p.add_argument("--targets", default=None, metavar="FILE",
                   help="TOML file of [[target]] tables to use instead of the built-in targets (no default holdout)")
    p.add_argument("--free", action="append", default=[], metavar="KEY[=LOW:HIGH]",
                   help="parameter to fit (repeatable; default: " + ", ".join(f.key for f in F.FREE_PARAMETERS) + ")")
    p.add_argument("--seed", type=int, default=2024, help="base seed of the replications and the design (default 2024)")
    p.add_argument("--out", default=None,
                   help="nelder-mead: calibrated scenario (default scenarios/<scenario>_calibrated.toml); "
                        "abc: posterior (default scenarios/<scenario>_calibrated.posterior.json)")
    p.add_argument("--store", default=None,
                   help="SQLite store of every simulation; rerunning the same command resumes from it "
                        "(default results/calibrate-<scenario>-<method>.sqlite)")
    p.add_argument("--backend", choices=("serial", "process", "dask"), default=None,
                   help="where runs execute (default serial for nelder-mead, process for abc)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--address", default=None, help="Dask scheduler address (with --backend dask)")
    p.add_argument("--quiet", action="store_true", help="no line per evaluation")
    p.set_defaults(func=cmd_calibrate)
