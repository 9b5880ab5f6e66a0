"""Plan settings precedence: flag > GRAPH_BATCH_* > manifest settings > default."""

from __future__ import annotations

import pytest

from batch.errors import UsageError
from batch.planning.settings import resolve_plan_settings
from batch.run.settings import resolve_settings
from batch.settings import ManifestSettings, RateLimit

MANIFEST = ManifestSettings(
    base_url="https://manifest.example", read_limit=RateLimit.parse("10/1s")
)


@pytest.mark.parametrize(
    ("cli", "env", "base_url", "read_limit"),
    [
        ({}, {}, "https://manifest.example", "10/1s"),
        ({}, {"GRAPH_BATCH_BASE_URL": "https://env.example/"}, "https://env.example", "10/1s"),
        (
            {"base_url": "http://127.0.0.1:1", "read_limit": RateLimit.parse("5/2s")},
            {"GRAPH_BATCH_BASE_URL": "https://env.example", "GRAPH_BATCH_READ_LIMIT": "7/1s"},
            "http://127.0.0.1:1",
            "5/2s",
        ),
        ({}, {"GRAPH_BATCH_READ_LIMIT": "7/1s"}, "https://manifest.example", "7/1s"),
    ],
)
def test_precedence(
    cli: dict[str, object], env: dict[str, str], base_url: str, read_limit: str
) -> None:
    """The first source that sets a value wins."""
    settings = resolve_plan_settings(cli, env, MANIFEST)
    assert (settings.base_url, str(settings.read_limit)) == (base_url, read_limit)
    assert settings.api_root == f"{base_url}/v1.0"


def test_defaults_and_cloud() -> None:
    """Without any source: Graph's limits, run's concurrency (4), the cloud's host."""
    settings = resolve_plan_settings(
        {}, {}, ManifestSettings(), default_base_url="https://graph.microsoft.us"
    )
    assert settings.base_url == "https://graph.microsoft.us"
    assert (str(settings.read_limit), str(settings.write_limit), settings.concurrency) == (
        "750/30s",
        "15/30s",
        resolve_settings({}, {}).concurrency,
    )
    assert settings.concurrency == 4


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GRAPH_BATCH_READ_LIMIT": "lots"}, "GRAPH_BATCH_READ_LIMIT"),
        ({"GRAPH_BATCH_CONCURRENCY": "0"}, "GRAPH_BATCH_CONCURRENCY"),
        ({"GRAPH_BATCH_API_VERSION": "v2"}, "GRAPH_BATCH_API_VERSION"),
        ({"GRAPH_BATCH_BASE_URL": "http://evil.example"}, "GRAPH_BATCH_BASE_URL"),
    ],
)
def test_bad_value_names_its_source(env: dict[str, str], message: str) -> None:
    """A bad value is a UsageError naming the variable it came from."""
    with pytest.raises(UsageError, match=message):
        resolve_plan_settings({}, env, ManifestSettings())
