"""JSON batching (`POST /$batch`): validate the envelope, run items through the engine.

Items run concurrently unless they `dependsOn` another; a dependant of a failed item gets 424
without running. Responses come back shuffled, as Graph promises no order (match them by id).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from batch.sandbox.answers import Answer, JsonObject
from batch.sandbox.engine import Engine
from batch.sandbox.paging import PageRequest
from batch.sandbox.routing import request_class, split_raw_path

_METHODS = frozenset({"GET", "POST", "DELETE", "PATCH", "PUT"})


class MalformedBatchError(Exception):
    """The batch itself is invalid; Graph answers 400 for the whole request."""


@dataclass(frozen=True)
class BatchItem:
    """One validated request of a batch."""

    id: str
    method: str
    url: str
    headers: dict[str, str]
    depends_on: tuple[str, ...]


def parse_batch(raw: bytes, max_items: int) -> list[BatchItem]:
    """The items of a `$batch` body; raises MalformedBatchError saying what is wrong."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBatchError("Invalid batch payload: the body is not JSON.") from exc
    requests = document.get("requests") if isinstance(document, dict) else None
    if not isinstance(requests, list) or not requests:
        raise MalformedBatchError("Invalid batch payload: 'requests' must be a non-empty array.")
    if len(requests) > max_items:
        raise MalformedBatchError(f"Number of batch requests exceeds the limit of {max_items}.")
    items = [_parse_item(entry) for entry in requests]
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise MalformedBatchError("Invalid batch payload: request ids must be unique.")
    _check_dependencies(items)
    return items


def _parse_item(entry: object) -> BatchItem:
    if not isinstance(entry, dict):
        raise MalformedBatchError("Invalid batch payload: each request must be an object.")
    ident, method, url = entry.get("id"), entry.get("method"), entry.get("url")
    if not isinstance(ident, str) or not ident:
        raise MalformedBatchError("Invalid batch payload: every request needs a string 'id'.")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise MalformedBatchError(
            f"Invalid batch payload: request '{ident}' has an invalid method."
        )
    if not isinstance(url, str) or not url.strip() or "://" in url or url.startswith("//"):
        raise MalformedBatchError(
            f"Invalid batch payload: request '{ident}' needs a relative 'url' (no host)."
        )
    headers = entry.get("headers", {})
    depends_on = entry.get("dependsOn", [])
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise MalformedBatchError(f"Invalid batch payload: request '{ident}' has invalid headers.")
    if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
        raise MalformedBatchError(
            f"Invalid batch payload: request '{ident}' has invalid dependsOn."
        )
    return BatchItem(ident, method.upper(), url, dict(headers), tuple(depends_on))


def _check_dependencies(items: list[BatchItem]) -> None:
    """Every dependency names an item of the batch, and there is no cycle."""
    graph = {item.id: item.depends_on for item in items}
    for item in items:
        unknown = [dep for dep in item.depends_on if dep not in graph]
        if unknown:
            raise MalformedBatchError(
                f"Invalid batch payload: request '{item.id}' depends on unknown id {unknown[0]!r}."
            )
    done: set[str] = set()

    def visit(ident: str, path: tuple[str, ...]) -> None:
        if ident in path:
            raise MalformedBatchError("Invalid batch payload: dependsOn contains a cycle.")
        if ident not in done:
            for dep in graph[ident]:
                visit(dep, (*path, ident))
            done.add(ident)

    for ident in graph:
        visit(ident, ())


async def run_batch(
    engine: Engine,
    items: list[BatchItem],
    authorization: str | None,
    client_request_id: str,
    root: str,
) -> list[JsonObject]:
    """Run the items (dependants after their dependencies) and return shuffled responses.

    `root` is the API root the batch was sent to, so a listed item links to its next page.
    """
    tasks: dict[str, asyncio.Task[Answer]] = {}

    async def run(item: BatchItem) -> Answer:
        for dep in item.depends_on:
            if not 200 <= (await tasks[dep]).status < 300:
                engine.recorder.request(item.method, request_class(item.method).value)
                engine.recorder.by_status[424] += 1
                return Answer.error(
                    424, "FailedDependency", f"The dependency '{dep}' of this request failed."
                )
        path, _, query = item.url.partition("?")
        page = PageRequest(
            f"{root}/{path.lstrip('/')}", parse_qs(query).get("$skiptoken", [None])[0]
        )
        return await engine.handle(
            item.method, split_raw_path(item.url), authorization, item=True, page=page
        )

    async with asyncio.TaskGroup() as group:
        for item in items:
            tasks[item.id] = group.create_task(run(item))
    responses = [
        _item_response(item, tasks[item.id].result(), engine, client_request_id) for item in items
    ]
    engine.batch_rng.shuffle(responses)
    return responses


def _item_response(
    item: BatchItem, answer: Answer, engine: Engine, client_request_id: str
) -> JsonObject:
    request_id = engine.new_request_id()
    stamped = answer.stamp(
        request_id, item.headers.get("client-request-id", client_request_id), engine.wall_now()
    )
    headers = dict(stamped.headers)
    response: JsonObject = {"id": item.id, "status": stamped.status, "headers": headers}
    if stamped.body is not None:
        headers["Content-Type"] = "application/json"
        response["body"] = stamped.body
    return response
