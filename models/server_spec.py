"""The model string that names a server, `openai:http://127.0.0.1:PORT/v1#MODEL`, checked.

Dossier stays offline: only loopback addresses are accepted unless the caller passes
`allow_remote=True`. The host is decided once, when the string is parsed, and without DNS:
a literal loopback IP, or `localhost` (taken to mean 127.0.0.1, as RFC 6761 reserves it).
Any other name would need a resolver, and a resolver can answer anything, so it is refused.
The URL that is used is rebuilt from the checked parts, so what is contacted is what was
checked.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from models.resolve import ModelError

PREFIX = "openai:"
EXAMPLE = "openai:http://127.0.0.1:8080/v1#MODEL"


class ServerSpecError(ModelError):
    """A server model string that cannot be used as written."""


class RemoteServerRefused(ServerSpecError):
    """The server is not on this machine and remote servers were not allowed."""


def is_server_spec(name: str) -> bool:
    """True when `name` names a server (`openai:...`) rather than a catalog model or a file."""
    return name.startswith(PREFIX)


def parse_server_model(spec: str, *, allow_remote: bool) -> tuple[str, str | None]:
    """`openai:URL[#MODEL]` -> (base URL, model or None), checked; nothing is contacted.

    The base URL keeps the path given (`/v1` when none is), without a trailing slash; its
    host is a literal IP (`localhost` becomes 127.0.0.1). Raises `ServerSpecError` for a
    malformed string and `RemoteServerRefused` for a non-loopback host unless `allow_remote`.
    """
    if not is_server_spec(spec):
        raise ServerSpecError(f"{spec!r} is not a server model; write it as {EXAMPLE}.")
    url = spec[len(PREFIX) :]
    # Backslashes and blanks are read differently by different URL parsers; none belong here.
    if any(c.isspace() or c == "\\" or not c.isprintable() for c in url):
        raise _bad(spec, "it contains spaces, backslashes or control characters")
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed IPv6 bracket
        raise _bad(spec, "the URL cannot be parsed") from None
    if parts.scheme not in ("http", "https"):
        raise _bad(spec, "the URL must start with http:// or https://")
    if "@" in parts.netloc:
        raise _bad(spec, "a user name or password in the URL is not supported")
    if parts.query:
        raise _bad(spec, "the URL must not have a query (?...)")
    host = parts.hostname
    if not host:
        raise _bad(spec, "the URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise _bad(spec, "the port is not a number from 0 to 65535") from None
    address = loopback_address(host)
    if address is None and not allow_remote:
        raise RemoteServerRefused(_remote_refusal(url, host))
    return _base_url(parts.scheme, address or host, port, parts.path), parts.fragment or None


def loopback_address(host: str) -> str | None:
    """The loopback IP `host` stands for, decided without DNS; None if it is not one.

    `host` as `urlsplit` gives it: lower-case, IPv6 without brackets.
    """
    if host == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: only a resolver could say where it points
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is IPv4 loopback written as IPv6
    return str(ip) if ip.is_loopback else None


def _base_url(scheme: str, host: str, port: int | None, path: str) -> str:
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}{path.rstrip('/') or '/v1'}"


def _bad(spec: str, why: str) -> ServerSpecError:
    return ServerSpecError(f"Cannot use the model server {spec!r}: {why}. Example: {EXAMPLE}")


def _remote_refusal(url: str, host: str) -> str:
    hint = ""
    if host in ("0.0.0.0", "::"):
        hint = " (0.0.0.0 is where a server listens, not an address to call: use 127.0.0.1)"
    return (
        f"The model server {url} is not on this computer{hint}. Dossier works offline and "
        "only talks to servers at a loopback address (127.0.0.1, ::1 or localhost). "
        "To use a server elsewhere anyway, pass --allow-remote."
    )
