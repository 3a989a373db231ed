"""Subcommands ``sweep``, ``export`` and ``report`` of ``hukou-sim`` (loaded by :mod:`sim.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError

# More worker processes than this is a typo, not a machine (each holds a whole model).
MAX_WORKERS = 4096


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..outputs import check_dir_target
    from .experiment import load_experiment
    from .store import check_file
    from .sweep import check_experiment_inputs, default_store, run_sweep

    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise InputError("--workers", "workers", f"got {args.workers}; expected an integer from 1 to {MAX_WORKERS}")
    if args.address is not None and args.backend != "dask":
        raise InputError("--address", "address", "only used with --backend dask")
    if args.address is not None and not args.address.strip():
        raise InputError("--address", "address", "is empty; expected a scheduler address like tcp://HOST:8786")
    if args.store is not None and not args.store.strip():
        raise InputError("--store", "store", "is empty; expected a file path (default results/<experiment>.sqlite)")
    exp = load_experiment(args.experiment)
    check_experiment_inputs(exp)  # bad graph files: a line before anything is asked or created
    store = Path(args.store) if args.store else default_store(exp)
    meta = check_file(store)  # refuses anything that is not a results store, before any work
    if meta is None:
        check_dir_target(store.parent, "--store", "store")  # the store can be created there
    if args.report is not None:
        report_dir = Path(args.report) if args.report else store.with_name(store.stem + "-report")
        check_dir_target(report_dir, "--report", "report")
    if args.fresh and meta is not None:
        if not args.yes and not _confirm(f"--fresh: delete every run stored in {store} "
                                         f"(experiment {meta.get('experiment')!r})? [y/N] "):
            raise InputError("--fresh", "confirmation", f"not confirmed, {store} left as it was; "
                                                        "pass --yes to start over without asking")
    try:
        summary = run_sweep(exp, store, backend=args.backend, workers=args.workers, address=args.address,
                            progress=not args.quiet, fresh=args.fresh)
    except InputError as exc:
        if getattr(exc, "summary", None) is not None:
            print(exc.summary.line())  # what was stored before the store failed
        raise
    print(summary.line())
    if summary.interrupted:
        return 130
    if args.report is not None and summary.succeeded + summary.skipped > 0:
        path = _write_report(store, args.report or None, "--report")
        print(f"report: {path}")
    return 1 if summary.failed else 0


def _confirm(question: str) -> bool:
    """Ask on the terminal; with no interactive stdin (CI, pipes) the answer is no."""
    if not sys.stdin or not sys.stdin.isatty():
        return False
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_export(args: argparse.Namespace) -> int:
    from .results import export

    written = export(args.store, args.format, args.out)
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


def _write_report(store: str | Path, out: str | Path | None, flag: str = "--out") -> Path:
    """The report, written whole into a folder beside ``out`` and renamed in (see sim.outputs)."""
    from ..outputs import check_dir_target, staged_dir
    from .report import write_report
    from .results import Results

    store = Path(store)
    target = check_dir_target(out if out is not None else store.with_name(store.stem + "-report"), flag, "out")
    with Results(store) as res:  # the store's own problems (missing, empty, foreign) first
        res.require_runs("report")
    with staged_dir(target, flag, "out") as stage:
        write_report(store, stage)
    return target / "report.md"


def cmd_report(args: argparse.Namespace) -> int:
    path = _write_report(args.store, args.out)
    print(f"report: {path}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run an experiment (scenarios x design x replications) into a results store",
                       description="Run every run of EXPERIMENT not already in the store; rerunning resumes.")
    p.add_argument("experiment", help="experiment .toml file, or a bundled name (smoke, cap_vs_neutral, sensitivity)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=("serial", "process", "dask"), default="process",
                   help="where runs execute (default: a local process pool)")
    p.add_argument("--address", help="Dask scheduler address, e.g. tcp://10.0.0.1:8786 (default with "
                                      "--backend dask: start a local cluster)")
    p.add_argument("--store", help="SQLite results store (default results/<experiment>.sqlite)")
    p.add_argument("--fresh", action="store_true", help="delete the store's runs and start over (asks first)")
    p.add_argument("--yes", action="store_true", help="do not ask before --fresh deletes")
    p.add_argument("--report", nargs="?", const="", default=None, metavar="DIR",
                   help="write the report after the sweep (into DIR, default <store>-report/) and print its path")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("export", help="export a results store as CSV or Parquet tables")
    p.add_argument("store", help="SQLite results store")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format (default csv)")
    p.add_argument("--out", required=True, help="directory to write runs, final, timeseries and cities tables into")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="write a Markdown report with figures from a results store")
    p.add_argument("store", help="SQLite results store")
    p.add_argument("--out", help="output directory (default <store>-report/)")
    p.set_defaults(func=cmd_report)
