"""`graph-batch sandbox`: run the local Graph emulator, or generate a world and manifest for it."""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batch.cli.commands import COMMANDS
from batch.errors import UsageError
from batch.exit_codes import ExitCode
from batch.loopback import is_loopback

if TYPE_CHECKING:
    from batch.sandbox import SandboxConfig, World

NAME = "sandbox"

DEFAULT_HOST = "127.0.0.1"
HOST_VARIABLE = "GRAPH_BATCH_SANDBOX_HOST"


BANNER = {"url": "sandbox listening on ", "token": "export GRAPH_ACCESS_TOKEN="}
"""Start-up lines scripts and tests read the sandbox's address and token from."""


def banner_field(line: str) -> tuple[str, str] | None:
    """`("url", ...)` or `("token", ...)` from one line the sandbox printed on start."""
    for name, prefix in BANNER.items():
        if line.startswith(prefix):
            return name, line.removeprefix(prefix).strip()
    return None


def register(subparsers: Any) -> None:
    """Add the `sandbox` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "Serve a local emulator of the Graph virtual-events endpoints (with throttling and "
            "optional faults) so a job can be rehearsed before it touches a real tenant; or, "
            "with --generate, write a world file and a matching manifest."
        ),
    )
    parser.add_argument(
        "--world",
        type=Path,
        metavar="PATH",
        help="world file (YAML) to serve, e.g. jobs/sandbox-world.yaml",
    )
    parser.add_argument(
        "--host", help=f"address to bind (default {DEFAULT_HOST}; other addresses need this flag)"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default 0: pick a free one)")
    parser.add_argument(
        "--write-limit", default="15/30s", metavar="N/Ts", help="writes per window (15/30s)"
    )
    parser.add_argument(
        "--read-limit", default="750/30s", metavar="N/Ts", help="reads per window (750/30s)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=PROB",
        help="inject a fault: 500, 503, 503-retry-after, 504, 504-retry-after, drop-before, "
        "drop-after, slow, bad-json (repeatable)",
    )
    parser.add_argument(
        "--fault-class", choices=("read", "write"), help="inject faults only into this class"
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed for faults and shuffling (0)"
    )
    parser.add_argument(
        "--retry-after-format",
        choices=("seconds", "fractional", "http-date"),
        default="seconds",
        help="how 429/503 answers write Retry-After: 2, 1.5 or an HTTP date (seconds)",
    )
    parser.add_argument(
        "--recancel-status",
        type=int,
        choices=(204, 400, 409),
        default=400,
        help="the answer to cancelling an already-canceled event (400)",
    )
    parser.add_argument(
        "--not-found-code",
        choices=("NotFound", "itemNotFound"),
        default="NotFound",
        help="error.code of a 404 answer, as Graph spells it on different endpoints (NotFound)",
    )
    parser.add_argument(
        "--no-count-rejected",
        action="store_true",
        help="429-rejected requests do not take a slot in the window",
    )
    parser.add_argument(
        "--permissions",
        choices=("published", "permissive"),
        default="published",
        help="who may call what: Microsoft's published tables (default) or the older "
        "permissive sandbox (only cancelling an event is restricted)",
    )
    parser.add_argument(
        "--shapes",
        choices=("schema", "example"),
        default="schema",
        help="answer as the schema describes (default) or as the pages' examples show "
        "(value-wrapped get-session, plain-string times)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, metavar="MS", help="latency added per request (0)"
    )
    parser.add_argument(
        "--latency-jitter-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="uniform random extra latency per request, up to MS (0)",
    )
    parser.add_argument(
        "--slow-ms", type=float, default=800.0, metavar="MS", help="delay of a `slow` fault (800)"
    )
    parser.add_argument(
        "--fault-retry-after",
        type=int,
        default=2,
        metavar="SECONDS",
        help="Retry-After on 503/504 faults (2)",
    )
    parser.add_argument(
        "--page-size", type=int, default=100, help="items per page of a list (default 100)"
    )
    parser.add_argument("--generate", type=int, metavar="N", help="write a world and N operations")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="directory for --generate output (required with it)"
    )
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Generate, or serve until Ctrl-C / SIGTERM."""
    import asyncio

    from batch.sandbox import World

    if args.generate is not None:
        return _generate(args)
    if args.world is None:
        raise UsageError("sandbox needs --world FILE (or --generate N --out DIR)")
    world = World.load(args.world)
    config = build_config(args)
    host = resolve_host(args.host, os.environ.get(HOST_VARIABLE))
    if not is_loopback(host):
        print(
            f"graph-batch: warning: binding {host}: the sandbox API is reachable from other "
            "machines (control endpoints stay loopback-only)",
            file=sys.stderr,
        )
    asyncio.run(_serve(world, config, host, args.port))
    return int(ExitCode.OK)


def resolve_host(flag: str | None, environment: str | None) -> str:
    """The address to bind: `--host` wins; a non-loopback address must come from `--host`."""
    if flag is not None:
        return flag
    host = environment or DEFAULT_HOST
    if not is_loopback(host):
        raise UsageError(
            f"refusing to bind non-loopback address {host} from {HOST_VARIABLE}; "
            f"pass --host {host} explicitly to expose the sandbox"
        )
    return host


def build_config(args: argparse.Namespace) -> SandboxConfig:
    """The SandboxConfig the flags describe; bad values become a UsageError."""
    from pydantic import ValidationError

    from batch.sandbox import FaultConfig, SandboxConfig
    from batch.settings import RateLimit

    try:
        faults = FaultConfig.parse(
            args.fault,
            only_class=args.fault_class,
            slow_ms=args.slow_ms,
            retry_after_seconds=args.fault_retry_after,
        )
        return SandboxConfig(
            write_limit=RateLimit.parse(args.write_limit),
            read_limit=RateLimit.parse(args.read_limit),
            retry_after_format=args.retry_after_format,
            recancel_status=args.recancel_status,
            not_found_code=args.not_found_code,
            count_rejected=not args.no_count_rejected,
            faults=faults,
            seed=args.seed,
            latency_ms=args.latency_ms,
            latency_jitter_ms=args.latency_jitter_ms,
            page_size=args.page_size,
            permissions=args.permissions,
            shapes=args.shapes,
        )
    except (ValueError, ValidationError) as exc:
        raise UsageError(f"sandbox: {exc}") from exc


async def _serve(world: World, config: SandboxConfig, host: str, port: int) -> None:
    import asyncio

    from batch.interrupts import Interrupts
    from batch.sandbox import serve

    stop = asyncio.Event()
    try:
        with Interrupts() as interrupts, interrupts.forward_to(stop.set):
            async with serve(world, config, host=host, port=port) as sandbox:
                print(f"{BANNER['url']}{sandbox.base_url}")
                print(f"API root: {sandbox.api_root}")
                print(f"export GRAPH_BATCH_BASE_URL={sandbox.base_url}")
                print(f"{BANNER['token']}{sandbox.token}")
                print("Ctrl-C to stop.", flush=True)
                await stop.wait()
    except OSError as exc:
        raise UsageError(f"sandbox cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    print("sandbox stopped.", flush=True)


def _generate(args: argparse.Namespace) -> int:
    from batch.files.collisions import check_replaceable_outputs
    from batch.files.private import describe, write_private
    from batch.operations import FIELD_NAMES
    from batch.sandbox import generate_world

    if args.out is None:
        raise UsageError("--generate needs --out DIR")
    if args.generate < 0:
        raise UsageError("--generate needs a count of 0 or more")
    outputs = {f"--out's {name}": args.out / name for name in ("world.yaml", "manifest.csv")}
    check_replaceable_outputs(outputs, consequence="nothing was written")
    world, rows = generate_world(args.generate, args.seed)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        write_private(args.out / "world.yaml", world.dump_yaml())
        manifest = io.StringIO()
        writer = csv.DictWriter(manifest, fieldnames=list(FIELD_NAMES))
        writer.writeheader()
        writer.writerows(rows)
        write_private(args.out / "manifest.csv", manifest.getvalue())
    except OSError as exc:
        raise UsageError(f"cannot write to {args.out}: {describe(exc)}") from exc
    print(
        f"wrote {args.out / 'world.yaml'} and {args.out / 'manifest.csv'} ({len(rows)} operations)"
    )
    return int(ExitCode.OK)
