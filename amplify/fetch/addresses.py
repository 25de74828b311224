"""Public addresses only: every connection is opened by `open_socket`, which checks what it connects to unless the
user allows their own network.

`open_socket` resolves the host once, checks each address it got (loopback, private, link-local, unique-local,
multicast, unspecified and reserved addresses are refused, IPv4 inside IPv6 too) and connects to that very address,
so however the host is spelled (`2130706433`, `0x7f.1`, a name that resolves to 127.0.0.1) the check sees what is
actually connected to, on every redirect hop.
"""

import ipaddress
import socket
import time

_THIS_COMPUTER = "is this computer"
_OWN_NETWORK = "is on your own network"
# Private ranges (RFC 1918), shared address space (RFC 6598: carrier-grade NAT, VPNs such as Tailscale),
# unique-local IPv6 and the local-use NAT64 prefix (RFC 8215: only the user's own network translates it, to
# whatever IPv4 addresses it likes); link-local addresses are checked apart.
_OWN_NETWORKS = tuple(ipaddress.ip_network(block) for block in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "64:ff9b:1::/48"))
# IPv6 addresses that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix, the old
# IPv4-compatible form (::a.b.c.d) and the IPv4-translated form (::ffff:0:a.b.c.d, RFC 2765).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


def address_refusal(address: str) -> str | None:
    """None when `address` (an IP address, as `getaddrinfo` gives it) is on the public internet; else what it is,
    as words that follow the address ("is this computer", "is on your own network", ...). An IPv4 address inside
    an IPv6 one (`::ffff:127.0.0.1`, 6to4, NAT64) is judged as that IPv4 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "is not an address amplify can check"
    return _refusal(ip)


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and (ip in _NAT64 or ip in _IPV4_TRANSLATED or (ip in _IPV4_COMPATIBLE and int(ip) > 1)):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return _refusal(inner)
        if ip.is_site_local:  # fec0::/10, deprecated but still routed inside some networks
            return _OWN_NETWORK
    if ip.is_loopback or ip.is_unspecified:  # a connection to 0.0.0.0 reaches this computer
        return _THIS_COMPUTER
    if ip.is_link_local or any(ip in network for network in _OWN_NETWORKS):
        return _OWN_NETWORK
    if ip.is_multicast:
        return "is a multicast address"
    if not ip.is_global:
        return "is a reserved address"
    return None



class RefusedAddress(Exception):
    """Raised by `open_socket` when a host has no public address; `Client.send` turns it into AddressRefused."""

    def __init__(self, host: str, address: str, what: str) -> None:
        host = host[:100]
        where = address if host == address else f"{host} ({address})"
        self.reason = (f"refused: {where} {what}, not the public internet; set allow_private_addresses: true "
                       "in feeds.yml to allow it")
        super().__init__(self.reason)


def open_socket(host: str, port: int, timeout: float, deadline: float, *, check: bool) -> socket.socket:
    """A TCP connection to `host`, for public internet addresses only when `check`.

    The host is resolved once with `getaddrinfo`, each address is checked with `address_refusal` and the connection
    is made to that very address: a DNS answer that changes between the check and the connection (DNS rebinding)
    cannot slip through, and the check costs no lookup of its own. Refused addresses are skipped and the next one
    tried, as are those that do not connect (as `socket.create_connection` does); when none is left, RefusedAddress
    says why, or the last address's OSError. Each attempt may take `timeout` seconds, and all of them end by
    `deadline` (a `time.monotonic()` value): past it, TimeoutError. A host name that cannot be encoded (a label over
    63 characters) raises UnicodeError before any lookup."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    refused: RefusedAddress | None = None
    failed: OSError | None = None
    for family, kind, protocol, _, address in found:
        ip = str(address[0])
        what = address_refusal(ip) if check else None
        if what is not None:
            refused = refused or RefusedAddress(host, ip, what)
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no connection to {host[:100]} within the time left")
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(min(timeout, left))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect(address)
        except OSError as error:
            sock.close()
            failed = error
            continue
        return sock
    if failed is not None:
        raise failed
    assert refused is not None  # getaddrinfo gives at least one address or raises
    raise refused
