"""The hostile suite: amplify as a hostile feed author or an unlucky user would meet it.

These tests run WITHOUT the opt-in to private addresses that the rest of the suite uses (AMPLIFY_ALLOW_PRIVATE):
here amplify must refuse this computer and the user's own network exactly as it does on a user's machine.

Two tripwires keep every test on this computer, whatever the code under test does: a connection to anything but
loopback is stopped (and recorded), and host names resolve only through `names` below (`localhost` as 127.0.0.1),
so no DNS query ever leaves the machine. `connections` lists every connection attempted.
"""

import ipaddress
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))

from loopback import LoopbackServer  # noqa: E402

# A hostile site in these tests stands on this loopback address, which `public_stand_in` lets amplify treat as a
# public one: it is how a test gets a "public" server to redirect to, or link to, a private one.
STAND_IN = "127.0.0.2"


@pytest.fixture(autouse=True)
def private_addresses_refused(monkeypatch):
    monkeypatch.delenv("AMPLIFY_ALLOW_PRIVATE", raising=False)


@pytest.fixture(autouse=True)
def connections(monkeypatch):
    """Every (address, port) a socket tried to connect to during the test. Only loopback is really connected."""
    attempts: list[tuple[str, int]] = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        attempts.append((str(address[0]), int(address[1])) if isinstance(address, tuple) else (str(address), 0))
        if isinstance(address, tuple) and not _loopback(str(address[0])):
            raise OSError(101, "the hostile tests never connect beyond this computer")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.fixture(autouse=True)
def names(monkeypatch):
    """The test's own DNS: `names["feeds.example"] = [["127.0.0.2"], ["127.0.0.1"]]` answers the first lookup with
    127.0.0.2 and every later one with 127.0.0.1. `names.asked` lists the names looked up. Addresses written as
    numbers resolve as usual (no query leaves the machine) and `localhost` to 127.0.0.1 alone (a hosts file that
    lists ::1 too would put it first on many machines, and the reasons the tests expect would name it); any other
    name does not resolve."""
    real_getaddrinfo = socket.getaddrinfo
    answers = _Names()
    answers["localhost"] = [["127.0.0.1"]]

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        answers.asked.append(name)
        queued = answers.get(name.lower().rstrip("."))
        if queued:
            addresses = queued.pop(0) if len(queued) > 1 else queued[0]
            return [info for address in addresses for info in real_getaddrinfo(address, port, *args, **kwargs)]
        if name.lower() != "localhost" and not _numeric(name):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (hostile tests resolve no names)")
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def public_stand_in(monkeypatch):
    """Let amplify treat STAND_IN as a public address; every other address is judged as usual."""
    import amplify.fetch.addresses as addresses

    real = getattr(addresses, "address_refusal", None)

    def refusal(address: str) -> str | None:
        if address == STAND_IN:
            return None
        return real(address) if real is not None else None

    monkeypatch.setattr(addresses, "address_refusal", refusal, raising=False)


@pytest.fixture
def site(public_stand_in):
    """The hostile site, on the stand-in public address."""
    running = LoopbackServer(STAND_IN).start()
    yield running
    running.stop()


@pytest.fixture
def inside(server):
    """A server on this computer (127.0.0.1) that nothing should reach: it counts every connection."""
    return server


@pytest.fixture
def inside6():
    """The same on IPv6 loopback, [::1]."""
    running = LoopbackServer("::1").start()
    yield running
    running.stop()


class _Names(dict):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []


def _loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _numeric(name: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, name)
            return True
        except OSError:
            pass
    try:  # the old spellings inet_aton accepts: 2130706433, 0x7f.1, 127.1, 0177.0.0.1
        socket.inet_aton(name)
        return True
    except OSError:
        return False
