"""The aiohttp application: Graph's HTTP surface over the engine, plus `/_sandbox` controls.

Every API path goes through one catch-all route so that matching happens on the raw path (see
`routing.py`). Control endpoints need no token but answer loopback peers only.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import format_datetime

from aiohttp import web
from pydantic import ValidationError

from batch.loopback import is_loopback
from batch.sandbox.answers import Answer, JsonObject
from batch.sandbox.batching import MalformedBatchError, parse_batch, run_batch
from batch.sandbox.config import STATUS_FAULTS, Clock, LimitsChange, SandboxConfig
from batch.sandbox.engine import DropConnectionError, Engine
from batch.sandbox.paging import PageRequest
from batch.sandbox.routing import split_raw_path
from batch.sandbox.world import TokenSpec, World

ENGINE: web.AppKey[Engine] = web.AppKey("engine", Engine)
VERSIONS = ("v1.0", "beta")
_DIAGNOSTIC = json.dumps(
    {"ServerInfo": {"DataCenter": "Sandbox", "Slice": "E", "Ring": "0", "RoleInstance": "local"}}
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(world: World, config: SandboxConfig, clock: Clock | None = None) -> web.Application:
    """The sandbox as an aiohttp application, ready for AppRunner or TestServer."""
    app = web.Application(middlewares=[_control_guard])
    app[ENGINE] = Engine(world, config, clock)
    app.router.add_get("/_sandbox/stats", _stats)
    app.router.add_get("/_sandbox/state", _state)
    app.router.add_post("/_sandbox/reset-stats", _reset_stats)
    app.router.add_post("/_sandbox/tokens", _add_token)
    app.router.add_get("/_sandbox/limits", _limits)
    app.router.add_post("/_sandbox/limits", _set_limits)
    app.router.add_route("*", "/{tail:.*}", _api)
    return app


@web.middleware
async def _control_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Control endpoints answer loopback peers only, even when the API is bound wider."""
    if request.path.startswith("/_sandbox/") and not is_loopback(request.remote):
        return web.json_response({"error": "control endpoints answer loopback only"}, status=403)
    return await handler(request)


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[ENGINE].recorder.snapshot().model_dump(mode="json"))


async def _state(request: web.Request) -> web.Response:
    return web.json_response(request.app[ENGINE].tenant.snapshot())


async def _reset_stats(request: web.Request) -> web.Response:
    request.app[ENGINE].reset_stats()
    return web.Response(status=204)


async def _limits(request: web.Request) -> web.Response:
    return web.json_response(request.app[ENGINE].limits())


async def _set_limits(request: web.Request) -> web.Response:
    """Change the enforced limits mid-run: `{"write_limit": "50/5s"}` (either or both)."""
    engine = request.app[ENGINE]
    try:
        body = json.loads(await request.read() or b"{}")
        changes = LimitsChange.model_validate(body)
    except (ValueError, ValidationError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    for klass, limit in changes.by_class().items():
        engine.set_limit(klass, limit)
    return web.json_response(engine.limits())


async def _add_token(request: web.Request) -> web.Response:
    """Register a token at runtime (e.g. the refreshed token of a refresh test)."""
    try:
        spec = TokenSpec.model_validate_json(await request.read() or b"{}")
    except ValidationError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    record = request.app[ENGINE].tokens.add(spec)
    expires = record.expires_at.isoformat() if record.expires_at else None
    return web.json_response({"token": record.value, "expires_at": expires}, status=201)


async def _api(request: web.Request) -> web.StreamResponse:
    """Every Graph API request: `/{version}/...` or `/{version}/$batch`."""
    engine = request.app[ENGINE]
    request_id = engine.new_request_id()
    client_request_id = request.headers.get("client-request-id") or request_id
    engine.recorder.enter()
    try:
        answer = await _answer(request, engine, client_request_id)
    except DropConnectionError:
        if request.transport is not None:
            request.transport.close()
        # Writing to the closed transport fails, which aiohttp treats as a client gone away:
        # nothing reaches the client and nothing is logged as an error.
        return web.Response(status=500)
    finally:
        engine.recorder.leave()
    now = engine.wall_now()
    return _to_http(
        answer.stamp(request_id, client_request_id, now), request_id, client_request_id, now
    )


async def _answer(request: web.Request, engine: Engine, client_request_id: str) -> Answer:
    segments = split_raw_path(request.raw_path)
    authorization = request.headers.get("Authorization")
    if not segments or segments[0] not in VERSIONS:
        segment = segments[0] if segments else ""
        return Answer.error(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    origin = f"{request.scheme}://{request.host}"
    if segments[1:] != ["$batch"]:
        page = PageRequest(
            origin + request.raw_path.split("?", 1)[0], request.query.get("$skiptoken")
        )
        return await engine.handle(request.method, segments[1:], authorization, page=page)
    if request.method != "POST":
        return Answer.error(405, "MethodNotAllowed", "$batch accepts POST only.", {"Allow": "POST"})
    return await _batch(
        request, engine, authorization, client_request_id, f"{origin}/{segments[0]}"
    )


async def _batch(
    request: web.Request,
    engine: Engine,
    authorization: str | None,
    client_request_id: str,
    root: str,
) -> Answer:
    """The `$batch` envelope: its own auth and faults; items are throttled one by one."""
    engine.recorder.batches += 1
    caller = engine.authenticate(authorization)
    if isinstance(caller, Answer):
        return caller
    try:
        items = parse_batch(await request.read(), engine.config.max_batch_items)
    except MalformedBatchError as exc:
        return Answer.error(400, "BadRequest", str(exc))
    fault = engine.envelope_fault()
    if fault in STATUS_FAULTS:
        return engine.faults.status_answer(str(fault))
    if fault == "drop-before":
        raise DropConnectionError(applied=False)
    await engine.delay(slow=fault == "slow")
    responses: list[JsonObject] = await run_batch(
        engine, items, authorization, client_request_id, root
    )
    if fault == "drop-after":
        raise DropConnectionError(applied=True)
    return Answer(200, {"responses": responses})


def _to_http(
    answer: Answer, request_id: str, client_request_id: str, now: datetime
) -> web.Response:
    headers = {
        **answer.headers,
        "request-id": request_id,
        "client-request-id": client_request_id,
        "x-ms-ags-diagnostic": _DIAGNOSTIC,
        "Date": format_datetime(now, usegmt=True),
    }
    if answer.body is None:
        return web.Response(status=answer.status, headers=headers)
    text = json.dumps(answer.body)
    if answer.corrupt:
        text = text[: max(1, len(text) // 2)]
    headers["Content-Type"] = "application/json; odata.metadata=minimal; charset=utf-8"
    return web.Response(status=answer.status, body=text.encode(), headers=headers)
