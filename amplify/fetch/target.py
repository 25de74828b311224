"""Where a request goes: a URL read into the host to connect to, its port, the `Host` header and the request target.

Host names in other scripts are sent as IDNA 2008 A-labels (`café.example` is `xn--caf-dma.example`), by the `idna`
package, as httpx did and browsers do: the standard library's "idna" codec follows IDNA 2003, which turns `ß` into
`ss` and so can name another host than the one written. It is loaded only for such a host. Spaces and characters
outside ASCII in the path and query are percent-encoded as UTF-8 (an existing `%XX` stays as it is), as httpx did;
the fragment and any user name are never sent.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# What a host name may hold once it is ASCII: letters, digits, hyphens, dots and underscores (numbers in the old
# spellings, such as 0x7f.1, too). Anything else could only fail to resolve, or be sent to DNS as something else.
_HOST_NAME = re.compile(r"[a-z0-9_.-]+")
# What is percent-encoded in a path or query, as httpx (and browsers, near enough) do: characters outside printable
# ASCII (spaces, controls, any other script) and the quotes, angle brackets, backtick and braces. A "%" stays as it
# is, escape or not, so a URL already encoded is sent unchanged.
_TO_ESCAPE = re.compile(r'[^\x21-\x7e]|["<>`{}]')


class BadTarget(ValueError):
    """A URL that names no host amplify can ask."""


class BadPort(BadTarget):
    """A port outside 1-65535, or one that is not a number."""

    def __init__(self, given: str) -> None:
        super().__init__(f"the port {given[:20]} is not valid (ports go from 1 to 65535)")


@dataclass(frozen=True, slots=True)
class Target:
    """`host` is what is resolved (an A-label name, or an IP address without brackets), `authority` the `Host`
    header (with the port when it is not the scheme's own), `path` the request target (path and query)."""

    scheme: str
    host: str
    port: int
    authority: str
    path: str


def parse_target(url: str) -> Target:
    """Read an http(s) URL. Raises BadPort, or BadTarget (a ValueError) for anything else that names no usable host."""
    parts = urlsplit(url)  # ValueError for an unreadable one, such as "http://[::1"
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadTarget(f"{parts.scheme or 'no'} scheme, not http(s)")
    host = _host(parts.hostname or "", "[" in parts.netloc)
    try:
        port = parts.port
    except ValueError:  # above 65535 (unchecked, 83617 would wrap around to 18081), or not a number
        port = -1
    if port is not None and not 0 < port < 65536:
        raise BadPort(parts.netloc.rpartition(":")[2])
    shown = f"[{host}]" if ":" in host else host
    authority = shown if port is None or port == DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if _TO_ESCAPE.search(path):
        path = _TO_ESCAPE.sub(_escape, path)
    return Target(scheme, host, port or DEFAULT_PORTS[scheme], authority, path)


def _host(host: str, bracketed: bool) -> str:
    if not host:
        raise BadTarget("no host name")
    if bracketed:
        ipaddress.IPv6Address(host)  # ValueError when it is no IPv6 address
        return host
    if not host.isascii():
        import idna  # only for a name in another script

        try:
            host = idna.encode(host).decode("ascii")
        except idna.IDNAError as error:
            raise BadTarget(f"the host name {host[:80]!r} is not a valid international name ({error})") from None
    if not _HOST_NAME.fullmatch(host):
        raise BadTarget(f"the host name {host[:80]!r} has characters no host name has")
    return host


def _escape(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))
