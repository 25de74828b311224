"""Host rules: whose site a link is on, and the link checks built on them (it opens, it is theirs, the post
links it)."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from amplify import compose
from amplify.checklist.model import ShareContext
from amplify.display import without_direction_controls

# Hosts that hide where a link goes, and sites that copy or wrap other people's work. Anything else that is
# not the creator's own host fails too; these only get a more precise reason.
SHORTENER_HOSTS = frozenset({
    "bit.ly", "bitly.com", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "buff.ly", "is.gd", "v.gd",
    "lnkd.in", "rebrand.ly", "cutt.ly", "shorturl.at", "t.ly", "tiny.cc", "bl.ink", "s.id", "rb.gy",
    "dlvr.it", "trib.al", "fb.me", "youtu.be", "amzn.to", "shorte.st", "adf.ly", "tr.im", "su.pr",
    "qr.ae", "soo.gd",
})
REHOST_HOSTS = frozenset({
    "web.archive.org", "archive.org", "archive.ph", "archive.today", "archive.is", "news.google.com",
    "flipboard.com", "msn.com", "news.yahoo.com", "pocket.co", "getpocket.com", "feedly.com",
    "inoreader.com", "scribd.com", "12ft.io", "removepaywall.com", "translate.goog",
})

def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(without_direction_controls(url)).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _bare(host: str) -> str:
    return host.removeprefix("www.")


def own_hosts(source_url: str | None, feed_urls: Iterable[str], domains: Iterable[str]) -> tuple[str, ...]:
    """The hosts that are the creator's own: their homepage's, their feeds', and the extra `domains:`."""
    hosts = [host_of(source_url), *map(host_of, feed_urls), *(domain.strip().lower() for domain in domains)]
    return tuple(dict.fromkeys(_bare(host) for host in hosts if host))


def site_verdict(url: str | None, hosts: Sequence[str]) -> tuple[bool, str]:
    """Whether `url` is on one of the creator's own hosts (subdomains count), and why, in plain words."""
    host = host_of(url)
    if host is None:
        return False, "there is no web link to check"
    if host in SHORTENER_HOSTS:
        return (
            False,
            f"{host} is a link shortener, which hides where the link goes: link their own page instead",
        )
    if host in REHOST_HOSTS or any(host.endswith("." + rehost) for rehost in REHOST_HOSTS):
        return False, f"{host} shows a copy of their work: link the original on their own site"
    bare = _bare(host)
    if any(bare == own or bare.endswith("." + own) for own in hosts):
        return True, f"on {host}, their own site"
    known = ", ".join(hosts) if hosts else "none known yet"
    return False, (
        f"{host} is not one of their own sites ({known}); link their own page, or add the domain to "
        "their `domains:` in feeds.yml if it is theirs"
    )



def check_link_resolves(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.item_url:
        return False, "this item has no web link, so there is nothing to open"
    if ctx.probe is None:
        return False, "not checked yet: check the link first"
    if not ctx.probe.is_fresh(now):
        hours = int((now - ctx.probe.checked_at).total_seconds() // 3600)
        return False, f"last checked {hours} hours ago: check it again"
    if not ctx.probe.ok:
        return False, f"it did not open: {ctx.probe.error or f'status {ctx.probe.status}'}"
    hops = (
        f" after {ctx.probe.redirects} redirect{'s' * (ctx.probe.redirects != 1)}"
        if ctx.probe.redirects
        else ""
    )
    return True, f"it opened (status {ctx.probe.status}){hops}"


def check_link_on_own_site(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    # Both the link in the post and where it ends after redirects must be theirs: a shortener that lands on
    # their site still hides it, and their link that now redirects elsewhere no longer leads to their work.
    linked = site_verdict(ctx.item_url, ctx.own_hosts)
    probe = ctx.probe
    if not linked[0] or probe is None or not (probe.ok and probe.is_fresh(now)):
        return linked
    if not probe.final_url or probe.final_url == ctx.item_url:
        return linked
    passed, reason = site_verdict(probe.final_url, ctx.own_hosts)
    return passed, f"it redirects: {reason}"


def check_links_original(ctx: ShareContext, now: datetime) -> tuple[bool, str]:
    if not ctx.item_url:
        return False, "this item has no web link to the original"
    if not compose.NETWORKS[ctx.network].text_in_url:
        return True, f"{compose.NETWORKS[ctx.network].label}'s share page carries the link itself"
    wanted = ctx.item_url.rstrip("/")
    if any(link.rstrip("/") == wanted for link in compose.links_in(ctx.text)):
        return True, "the post links the original"
    return False, f"add the link to the original: {ctx.item_url}"
