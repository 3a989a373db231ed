"""``hukou-sim demo`` (the teaching app in a browser) and ``hukou-sim animate`` (GIF/MP4 for slides).

:func:`register` is called by :mod:`sim.cli` with its subparsers; bad input raises
:class:`sim.errors.InputError`, which the CLI prints as one line and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import warnings
from pathlib import Path

from sim.errors import InputError

HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _check_host(host: str) -> None:
    try:
        socket.getaddrinfo(host, None, socket.AF_INET)
    except (OSError, UnicodeError):
        raise InputError("--host", "host", f"got {host!r}; expected an address of this machine, e.g. "
                         "127.0.0.1 (this machine only) or 0.0.0.0 (every network it is on)") from None


def _check_port(port: int, host: str = HOST) -> None:
    if not 1 <= port <= 65535:
        raise InputError("--port", "port", f"got {port}; expected an integer from 1 to 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # as the server does: a port whose last connections are still closing (TIME_WAIT) is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise InputError("--port", "port", f"{host}:{port} is not available ({exc.strerror}); "
                             "choose another with --port") from None


def _room_addresses() -> list[str]:
    """This machine's IPv4 addresses on the room's network (for --host 0.0.0.0), best effort."""
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


def _check_scenario(name: str) -> None:
    """A preset name, or a scenario (bundled or file) the presets can act on."""
    from sim.scenario import load_scenario
    from sim.viz.session import MAPS, PRESETS

    if name in PRESETS or name in MAPS:
        return
    load_scenario(name)  # raises InputError naming the problem


def cmd_demo(args: argparse.Namespace) -> int:
    from sim.viz.session import BASE_ENV

    if args.scenario is not None:
        _check_scenario(args.scenario)
        scenario = args.scenario
        if Path(scenario).suffix == ".toml" and Path(scenario).exists():
            scenario = str(Path(scenario).resolve())  # the server may run elsewhere
        os.environ[BASE_ENV] = scenario
    _check_host(args.host)
    _check_port(args.port, args.host)
    local = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    url = f"http://{local}:{args.port}/"
    print(f"hukou-sim demo: open {url} in a browser (Ctrl+C to stop)", flush=True)
    if args.host == "0.0.0.0":
        others = ", ".join(f"http://{a}:{args.port}/" for a in _room_addresses()) or "this machine's address"
        print(f"  students on the same network: {others}", flush=True)
    serve(args.host, args.port)
    return 0


def serve(host: str, port: int) -> None:
    """Run the Solara server for sim.viz.app until Ctrl+C (or SIGTERM); then stop at once and free the port."""
    import plotly

    # plotly.js from the plotly package, served as one of Solara's assets: no CDN in a lecture hall
    os.environ["SOLARA_ASSETS_EXTRA_LOCATIONS"] = str(Path(plotly.__file__).parent / "package_data")
    # a lecture-hall laptop may be offline: no usage statistics sent to Solara's tracker
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SOLARA_APP"] = "sim.viz.app"
    os.environ["SOLARA_MODE"] = "production"
    # Solara warns on every page load that it cannot set a cross-site cookie over plain http;
    # it falls back to a same-site cookie, which is all the demo needs.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    import uvicorn

    from solara.server.starlette import app as solara_app

    # uvicorn directly rather than `solara run`: that also asks the package index for a newer
    # Solara at start, and waits for open pages on Ctrl+C; here open pages are cut after 1 s
    config = uvicorn.Config(solara_app, host=host, port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:  # a second Ctrl+C during shutdown
        pass
    print("hukou-sim demo: stopped", flush=True)



def cmd_animate(args: argparse.Namespace) -> int:
    from sim.viz.animate import animate

    if args.steps is not None and args.steps < 1:
        raise InputError("--steps", "steps", f"got {args.steps}; expected an integer >= 1")
    if args.fps <= 0:
        raise InputError("--fps", "fps", f"got {args.fps}; expected a number > 0")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r  frame {done + 1}/{total + 1}", end="", file=sys.stderr, flush=True)

    frames = animate(args.scenario, args.out, steps=args.steps, seed=args.seed, overrides=args.set,
                     colour_by=args.colour, fps=args.fps, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"wrote {args.out}: {frames} frames ({args.scenario}, seed {args.seed})")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="start the teaching app in a browser (Solara, on localhost)")
    p.add_argument("--scenario", help="start on a preset (neutral, cap, decentralize, cap_decentralize, "
                                      "hukou_reform, new_city) or map (china), or use another scenario as the "
                                      "base of the "
                                      "presets (default: the teaching scenario)")
    p.add_argument("--host", default=HOST,
                   help=f"address to listen on (default {HOST}: this machine only; 0.0.0.0 lets students on "
                        "the same network open the page)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.set_defaults(func=cmd_demo)

    p = subparsers.add_parser("animate", help="render the map and poverty plot over time as a GIF or MP4")
    p.add_argument("scenario", help="bundled scenario name or a .toml file")
    p.add_argument("--out", required=True, help="output file ending in .gif (no ffmpeg needed) or .mp4 (ffmpeg)")
    p.add_argument("--steps", type=int, help="years to run (default: the scenario's)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set policy.cap.start_year=1990 (repeatable)")
    p.add_argument("--colour", choices=("poverty", "migrants"), default="poverty",
                   help="colour cities by poverty rate or migrant share (default poverty)")
    p.add_argument("--fps", type=float, default=4.0, help="frames (years) per second (default 4)")
    p.set_defaults(func=cmd_animate)
