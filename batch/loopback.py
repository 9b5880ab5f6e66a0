"""Whether an address is this machine: the one test behind every "loopback only" rule.

Plain-http base URLs, the sandbox's bind address and its control endpoints all allow loopback
and nothing else, so they must agree on what loopback is.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str | None) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1 (an IPv6 zone suffix `%eth0` is ignored)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
