"""`graph-batch list events|sessions|registrations`: find the targets, optionally as a manifest.

Parse, call, print; heavy modules (aiohttp, azure, rich, pydantic) load inside the handler, so
`graph-batch --help` stays fast. Exit 0 listed (even "0 matched"), 1 a page failed or paging
had to stop, 2 usage, 3 authentication or authorization (a 403 names the permission needed).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batch.cli.auth_args import add_auth_arguments
from batch.cli.commands import COMMANDS
from batch.exit_codes import ExitCode
from batch.listing.kinds import EVENT_STATUSES, OPS, REGISTRATION_STATUSES, ROLES, ListKind

if TYPE_CHECKING:
    from batch.listing.progress import Tally
    from batch.listing.service import ListRequest, ListSettings
    from batch.listing.sinks import ManifestSink, Sink

NAME = "list"

_EPILOG = """\
Filters apply to each item as it arrives (Graph documents no server-side filter for these
lists). WHEN is an ISO 8601 date or date-time, UTC unless it has an offset; --starts-after is
inclusive, --starts-before exclusive. See docs/list.md.
Exit codes: 0 listed (even 0 matched), 1 a page failed or paging stopped, 2 usage, 3 auth.
"""


def _typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return convert


# The filter parsers (datetime, zoneinfo) load only when a filter flag is given.


def _when(text: str) -> Any:
    from batch.listing.filters import parse_when

    return _typed(parse_when)(text)


def _pattern(text: str) -> Any:
    from batch.listing.filters import parse_pattern

    return _typed(parse_pattern)(text)


def _graph_id(text: str) -> str:
    from batch.operations import check_id

    try:
        return check_id(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}: {text!r}") from exc


def _statuses(allowed: tuple[str, ...]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        from batch.listing.filters import parse_statuses

        return _typed(lambda given: parse_statuses(given, allowed))(text)

    return convert


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `list` with its three kinds."""
    parser = subparsers.add_parser(
        NAME,
        help=COMMANDS[NAME],
        description=(
            "List what is in the tenant, filter it, and print it (table, csv, json) or write "
            "a manifest that `validate` accepts and `run` runs as it is (--op OP --out FILE)."
        ),
    )
    kinds = parser.add_subparsers(dest="kind", metavar="WHAT", required=True)

    events = _kind_parser(kinds, ListKind.EVENTS, "webinars and town halls you organize")
    events.add_argument(
        "--type", choices=("webinar", "townhall", "all"), default="all", help="(all)"
    )
    events.add_argument("--role", choices=ROLES, default="organizer", help="(organizer)")
    events.add_argument(
        "--user-id",
        type=_graph_id,
        metavar="ID",
        help="list this user's events (getByUserIdAndRole) instead of the signed-in user's",
    )
    events.add_argument(
        "--status", type=_statuses(EVENT_STATUSES), metavar="S,S", help="draft,published,canceled"
    )
    events.add_argument("--starts-after", type=_when, metavar="WHEN")
    events.add_argument("--starts-before", type=_when, metavar="WHEN")
    events.add_argument("--name", type=_pattern, metavar="REGEX", help="on displayName, any case")

    sessions = _kind_parser(kinds, ListKind.SESSIONS, "an event's sessions")
    _event_arguments(sessions)

    registrations = _kind_parser(kinds, ListKind.REGISTRATIONS, "an event's registrations")
    _event_arguments(registrations)
    registrations.add_argument(
        "--status",
        type=_statuses(REGISTRATION_STATUSES),
        metavar="S,S",
        help=",".join(REGISTRATION_STATUSES),
    )
    registrations.add_argument("--email", type=_pattern, metavar="REGEX", help="on email, any case")
    registrations.add_argument(
        "--session-id", type=_graph_id, metavar="ID", help="the session --op remove-session removes"
    )


def _kind_parser(
    kinds: argparse._SubParsersAction[argparse.ArgumentParser], kind: ListKind, what: str
) -> argparse.ArgumentParser:
    parser = kinds.add_parser(
        kind.value,
        help=f"list {what}",
        description=f"List {what}.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--format",
        "-o",
        "--output",
        dest="format",
        choices=("table", "csv", "json"),
        help="output format (table on a terminal, else csv); -o never names a file",
    )
    out.add_argument("--op", choices=OPS[kind], help="write a manifest applying OP to each match")
    out.add_argument("--out", type=Path, metavar="FILE", help="the manifest: .csv, .yaml or .yml")
    out.add_argument("--force", action="store_true", help="replace FILE if it exists")
    graph = parser.add_argument_group("Graph (as for run; env GRAPH_BATCH_<NAME>)")
    graph.add_argument("--base-url", help="Graph root URL (default https://graph.microsoft.com)")
    graph.add_argument("--api-version", choices=("v1.0", "beta"), help="(v1.0)")
    graph.add_argument("--read-limit", metavar="N/Ts", help="pace reads (750/30s)")
    graph.add_argument("--request-timeout", metavar="SECONDS", help="per request (60)")
    graph.add_argument("--max-attempts", metavar="N", help="attempts per page (5)")
    graph.add_argument("--log-format", choices=("console", "json"), help="diagnostics (console)")
    add_auth_arguments(parser)
    parser.set_defaults(func=handle)
    return parser


def _event_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--event-id", required=True, type=_graph_id, metavar="ID")
    parser.add_argument(
        "--type", choices=("webinar", "townhall"), default="webinar", help="(webinar)"
    )


def _usage(args: argparse.Namespace) -> None:
    """Flag combinations argparse cannot check; UsageError (exit 2) before anything is sent."""
    from batch.errors import UsageError

    if (args.op is None) != (args.out is None):
        raise UsageError("--op needs --out FILE" if args.out is None else "--out needs --op OP")
    wants_session = args.op == "remove-session"
    if wants_session != (getattr(args, "session_id", None) is not None):
        raise UsageError(
            "--op remove-session needs --session-id ID"
            if wants_session
            else "--session-id goes with --op remove-session"
        )


def _request(args: argparse.Namespace, kind: ListKind) -> ListRequest:
    from batch.listing.filters import ItemFilter
    from batch.listing.service import ListRequest
    from batch.listing.targets import event_collection, event_collections
    from batch.operations import EventType

    keep = ItemFilter(
        statuses=args.status if kind is not ListKind.SESSIONS else None,
        starts_after=getattr(args, "starts_after", None),
        starts_before=getattr(args, "starts_before", None),
        name=getattr(args, "name", None),
        email=getattr(args, "email", None),
    )
    if kind is ListKind.EVENTS:
        types = tuple(EventType) if args.type == "all" else (EventType(args.type),)
        return ListRequest(kind, event_collections(types, args.role, args.user_id), keep)
    return ListRequest(kind, [event_collection(kind, EventType(args.type), args.event_id)], keep)


def _settings(args: argparse.Namespace) -> ListSettings:
    from batch.auth.clouds import graph_base_url_for
    from batch.cli.auth_args import resolve_cloud
    from batch.graph_settings import resolve_model
    from batch.listing.service import ListSettings

    names = ("base_url", "api_version", "read_limit", "request_timeout", "max_attempts")
    cli = {name: getattr(args, name) for name in (*names, "log_format")}
    cloud = resolve_cloud(args.cloud, os.environ, None)
    return resolve_model(
        ListSettings, cli, os.environ, None, default_base_url=graph_base_url_for(cloud)
    )


def _printed(chosen: str | None, kind: ListKind) -> Sink:
    from batch.listing.sinks import CsvSink, JsonSink, TableSink

    printed_as = chosen or ("table" if sys.stdout.isatty() else "csv")
    if printed_as == "json":
        return JsonSink(sys.stdout)
    return CsvSink(sys.stdout, kind) if printed_as == "csv" else TableSink(sys.stdout, kind)


def _sinks(args: argparse.Namespace, kind: ListKind) -> tuple[Sink, ManifestSink | None]:
    """Where matches go; the manifest first, so a refused --out prints nothing at all."""
    from datetime import datetime

    from batch.listing.sinks import Both, ManifestSink

    if args.out is None:
        return _printed(args.format, kind), None
    manifest = ManifestSink(
        args.out,
        kind,
        args.op,
        session_id=getattr(args, "session_id", None),
        force=args.force,
        comment=f"written by `graph-batch list {kind.value}` at "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M %z}; review it, then: "
        f"graph-batch run {shlex.quote(str(args.out))}",
    )
    if args.format is None:
        return manifest, manifest
    return Both(manifest, _printed(args.format, kind)), manifest


async def _list(
    args: argparse.Namespace, request: ListRequest, settings: ListSettings, sink: Sink, tally: Tally
) -> None:
    from batch.cli.auth_args import token_source_from_args
    from batch.cli.stdout_guard import reader_gone
    from batch.listing.progress import LiveProgress
    from batch.listing.service import list_items

    tokens = token_source_from_args(args)
    # Stdout closed early (`| head`): stop paging, unless a manifest still wants every item.
    stop = reader_gone if args.out is None else (lambda: False)
    try:
        with LiveProgress(sys.stderr, tally) as progress:
            await list_items(request, settings, tokens, sink, progress, stop=stop)
    finally:
        await tokens.close()


def handle(args: argparse.Namespace) -> int:
    """List, filter, print or write the manifest; the exit code says whether it all worked."""
    import asyncio

    from batch.diagnostics import configure_diagnostics
    from batch.listing.progress import Tally

    configure_diagnostics(os.environ)
    kind = ListKind(args.kind)
    _usage(args)
    request = _request(args, kind)
    settings = _settings(args)
    configure_diagnostics(os.environ, settings.log_format)
    sink, manifest = _sinks(args, kind)
    tally = Tally()
    finished = False
    try:
        asyncio.run(_list(args, request, settings, sink, tally))
        finished = True
    finally:
        sink.close(ok=finished)
        _report(tally, manifest, args, finished=finished)
    return int(ExitCode.OK)


def _report(
    tally: Tally, manifest: ManifestSink | None, args: argparse.Namespace, *, finished: bool
) -> None:
    from batch.cli.stdout_guard import reader_gone

    stopped = "" if finished else " before it stopped"
    if finished and manifest is None and reader_gone():
        stopped = " before the output was closed (listing stopped)"
    print(f"graph-batch: {tally.line()}{stopped}", file=sys.stderr)
    if tally.undated:
        print(
            f"graph-batch: {tally.undated} items had no readable start time and were left out "
            "by the time filter",
            file=sys.stderr,
        )
    if manifest is None or not finished:
        return
    if manifest.count:
        print(
            f"Manifest written to {manifest.path} ({manifest.count} operations, op {args.op}); "
            f"review it, then: graph-batch run {shlex.quote(str(manifest.path))}"
        )
    else:
        print(f"0 matched: no manifest written to {manifest.path}")
