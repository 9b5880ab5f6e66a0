"""Every auth mode, with the sign-in service out of reach: the real CLI exits 3 with one line
naming the mode and the cause, no traceback and no secret.

"No network" is made locally: the HTTP(S) proxy and the managed-identity endpoint point at a
closed port on 127.0.0.1, so azure-core raises its transport errors (ServiceRequestError)
exactly as it does on a host without a route to login.microsoftonline.com.
"""

from __future__ import annotations

import asyncio
import datetime
import socket
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from batch.exit_codes import ExitCode
from tests.process_helpers import run_cli

SECRET = "app-secret-value-4711"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificate(path: Path) -> Path:
    """A self-signed certificate and its key in one PEM file, as CertificateCredential reads."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "graph-batch-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + cert.public_bytes(serialization.Encoding.PEM)
    path.write_bytes(pem)
    return path


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """App-registration variables for every mode, with every route to sign-in closed."""
    unreachable = f"http://127.0.0.1:{_closed_port()}"
    federated = tmp_path / "federated.txt"
    federated.write_text("federated-assertion", encoding="utf-8")
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    return {
        "HTTPS_PROXY": unreachable,
        "HTTP_PROXY": unreachable,
        "https_proxy": unreachable,
        "http_proxy": unreachable,
        "NO_PROXY": "",
        "no_proxy": "",
        "IDENTITY_ENDPOINT": f"{unreachable}/msi/token",
        "IDENTITY_HEADER": "header",
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": CLIENT,
        "AZURE_CLIENT_SECRET": SECRET,
        "AZURE_CLIENT_CERTIFICATE_PATH": str(_certificate(tmp_path / "app.pem")),
        "AZURE_FEDERATED_TOKEN_FILE": str(federated),
        "GRAPH_BATCH_STATE_DIR": str(tmp_path / "state"),
        "GRAPH_ACCESS_TOKEN": "",
        "PATH": str(empty_bin),  # no `az` to run
    }


MODES = (
    "client-secret",
    "certificate",
    "workload-identity",
    "managed-identity",
    "azure-cli",
    "default",
    "device-code",
    "auto",
)
NETWORK_MODES = frozenset({"client-secret", "certificate", "workload-identity", "managed-identity"})
"""Modes whose failure here is the transport itself (azure-core's ServiceRequestError)."""
OTHER_COMMANDS = {
    "whoami": ("whoami", "--auth", "client-secret"),
    "plan": ("plan", "{manifest}", "--auth", "client-secret"),
    "login": ("login", "--allow-unencrypted"),
}


async def test_no_way_to_sign_in_exits_3_in_every_mode_and_command(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    """`run --auth MODE` for every mode, and `whoami`, `plan`, `login`, with sign-in unreachable:
    exit 3, one line naming the mode and the cause, no traceback, no secret.

    The processes run side by side: azure-core retries a failed connection with backoff for
    seconds, and that waiting need not add up.
    """
    manifest = tmp_path / "m.csv"
    manifest.write_text("op,event_id\ncancel,ev1\n", encoding="utf-8")
    auto_env = {name: value for name, value in offline_env.items() if name != "GRAPH_ACCESS_TOKEN"}
    commands = {mode: ("run", str(manifest), "--yes", "--auth", mode) for mode in MODES} | {
        name: tuple(part.format(manifest=manifest) for part in args)
        for name, args in OTHER_COMMANDS.items()
    }
    done = await asyncio.gather(
        *(
            run_cli(*args, env=auto_env if name == "auto" else offline_env)
            for name, args in commands.items()
        )
    )
    for name, finished in zip(commands, done, strict=True):
        err = finished.err
        assert (name, finished.code) == (name, ExitCode.AUTH), err
        assert "Traceback" not in err, name
        lines = err.strip().splitlines()
        assert len(lines) == 1, (name, err)
        assert lines[0].startswith("graph-batch: "), (name, err)
        assert SECRET not in finished.out + err, name
        if name in MODES and name not in {"auto", "device-code"}:
            assert f"--auth {name}" in err, err
        if name in NETWORK_MODES or name in {"whoami", "plan"}:
            assert "could not be reached (ServiceRequestError" in err, err
