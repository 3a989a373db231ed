"""The ``hukou-sim`` command line: a thin layer over the Python API.

Bad input of any kind ends with one line on stderr naming the file, the field and what is
allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Callable

from .errors import InputError

EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and raise InputError (exit 2, no usage dump)."""

    def error(self, message: str):  # type: ignore[override]
        raise InputError(self.prog, "arguments", message)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so an interrupted write never leaves half a file."""
    from .outputs import write_text
    write_text(path, text)


# Largest seed accepted on the command line: numpy's SeedSequence takes any integer >= 0, the
# store keeps seeds as SQLite INTEGER (signed 64-bit).
MAX_SEED = 2**63 - 1


def check_int(value: int | None, flag: str, low: int, high: int | None = None) -> None:
    """One line for an integer flag out of range (argparse has checked it is an integer)."""
    if value is None:
        return
    if value < low or (high is not None and value > high):
        rng = f"from {low} to {high}" if high is not None else f">= {low}"
        raise InputError(flag, flag.lstrip("-"), f"got {value}; expected an integer {rng}")


def check_steps(value: int | None, flag: str = "--steps") -> None:
    """``--steps`` is bounded like ``simulation.steps`` in scenario files (one limit table)."""
    from .params import BY_KEY
    p = BY_KEY["simulation.steps"]
    check_int(value, flag, int(p.low), int(p.high))


def check_seed(value: int | None, flag: str = "--seed") -> None:
    check_int(value, flag, 0, MAX_SEED)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _json_safe(value.item())
    return value


def format_outputs(values: dict[str, Any]) -> str:
    from .outcomes import COLUMNS
    lines = []
    for name, value in values.items():
        unit = COLUMNS.get(name, ("", ""))[0]
        if isinstance(value, float):
            shown = f"{value:,.4f}" if abs(value) < 100 else f"{value:,.0f}"
        else:
            shown = str(value)
        lines.append(f"  {name:<32} {shown:>20}  {unit}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    from . import __version__, api
    from .scenario import load_scenario

    from .outputs import check_dir_target, staged_dir

    check_steps(args.steps)
    check_seed(args.seed)
    # the output folder is checked before the (possibly long) simulation, not after it
    out_dir = check_dir_target(args.out)
    scenario = load_scenario(args.scenario, args.set)
    api.check_inputs(scenario)
    steps = scenario.steps if args.steps is None else args.steps
    bar = _progress_bar(steps, f"{scenario.name} seed {args.seed}")
    result = api.run(scenario, steps=steps, seed=args.seed, progress=bar.update_to if bar else None)
    if bar:
        bar.close()
    summary = {
        "scenario": result.scenario.name,
        "seed": args.seed,
        "steps": steps,
        "version": __version__,
        "seconds": round(result.seconds, 3),
        "final": {k: _json_safe(v) for k, v in result.final.items()},
        "city_sizes": {n: float(s) for n, s in zip(result.city_names, result.city_sizes)},
        "resolved_scenario": result.scenario.to_dict(),
        "overrides": dict(result.scenario.overrides),
    }
    # both files are written in full beside the folder first, then renamed in: a full disk leaves
    # the old pair in place, never a new table beside an old summary
    with staged_dir(out_dir) as stage:
        result.timeseries.to_csv(stage / "timeseries.csv", index=False)
        (stage / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(f"{scenario.name}: {steps} years from {scenario.start_year}, seed {args.seed}, "
          f"{result.seconds:.1f} s")
    print(format_outputs(result.final))
    print(f"wrote {out_dir / 'timeseries.csv'} and {out_dir / 'summary.json'}")
    return 0


def _progress_bar(total: int, label: str):
    """A tqdm bar on stderr when it is a terminal (long runs), else nothing."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    class Bar(tqdm):
        def update_to(self, done: int, _total: int) -> None:
            self.update(done - self.n)

    return Bar(total=total, desc=label, unit="year", file=sys.stderr, leave=False)


def cmd_scenarios(args: argparse.Namespace) -> int:
    from .scenario import bundled_scenarios, load_scenario

    for name in bundled_scenarios():
        sc = load_scenario(name)
        print(f"{name:<18} {sc.description}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from . import params as P
    from .scenario import load_scenario

    if args.list:
        for p in P.PARAMS:
            print(f"{p.key:<44} {str(p.default):>12}  {p.unit:<14} {p.doc}")
        return 0
    if not args.file:
        raise InputError("hukou-sim check", "FILE", "give a scenario file to check, or --list")
    sc = load_scenario(args.file)
    from .model import MigrationModel  # build it too: catches network files and cross-field errors
    MigrationModel._validated(dict(sc.values))
    from .scenario import scenario_network
    scenario_network(sc)  # the city network, through the registry the model builds it with
    print(f"{args.file}: ok ({sc.name}: {sc.description})")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hukou-sim", description="Agent-based simulation of rural-urban migration in China.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    p = sub.add_parser("run", help="run one scenario and write its outputs")
    p.add_argument("scenario", help="bundled scenario name (see 'hukou-sim scenarios') or a .toml file")
    p.add_argument("--steps", type=int, help="years to run (default: the scenario's)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set economy.base_wage=3000 (repeatable)")
    p.add_argument("--out", default="out", help="output directory (default ./out)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scenarios", help="list bundled scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("check", help="validate a scenario file")
    p.add_argument("file", nargs="?", help="scenario .toml file")
    p.add_argument("--list", action="store_true", help="list every parameter with default, unit and meaning")
    p.set_defaults(func=cmd_check)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[Any], None]]:
    """Subcommands that live beside their feature (sweeps, reports, the teaching demo)."""
    found = []
    for module, attr in (("sim.runner.cli", "register"), ("sim.viz.cli", "register"),
                         ("sim.calibration.cli", "register")):
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        found.append(getattr(mod, attr))
    return found


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except InputError as exc:
        print(f"hukou-sim: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("hukou-sim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
