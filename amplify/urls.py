"""What amplify takes for a web address: one rule for feeds.yml, parsed feeds, fetching, the share checklist, the
pages and follow-list imports.

An address amplify stores, links to or fetches is an absolute http or https URL with a host. Text with whitespace or
control characters in it is refused: it is not one address. A feed's own links are the one exception, on purpose:
they sometimes hold spaces (`inner_spaces`), which a browser encodes, so a post keeps its link.
"""

import re
from urllib.parse import SplitResult, urljoin, urlsplit

WEB_SCHEMES = frozenset({"http", "https"})
# A domain name such as example.org: labels of letters, digits and inner hyphens, a last label starting with a letter.
DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}"
DOMAIN_PATTERN = re.compile(rf"^{DOMAIN}$")

_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f]")


def http_parts(url: str) -> SplitResult | None:
    """`url` split into its parts when its scheme is http(s) and it has a host; None otherwise (and for text
    `urlsplit` cannot split, such as "http://[::1")."""
    try:
        parts = urlsplit(url)
        return parts if parts.scheme.lower() in WEB_SCHEMES and parts.hostname else None
    except ValueError:
        return None


def is_http_url(text: str | None, *, inner_spaces: bool = False) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace or control characters. With `inner_spaces`,
    spaces (and other whitespace but tabs and line breaks) are let through: see `safe_http_url`."""
    if not text or (_CONTROL if inner_spaces else _SPACE_OR_CONTROL).search(text):
        return False
    return http_parts(text) is not None


def safe_http_url(url: str | None, base: str | None = None) -> str | None:
    """A link a feed gives, as an absolute http(s) URL (resolved against `base` when relative), or None for anything
    else. Spaces around it are trimmed; spaces inside are kept (`inner_spaces`), as a browser would follow it."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL.search(url):
        return None
    try:
        if base and not urlsplit(url).scheme:
            url = urljoin(base, url)
    except ValueError:
        return None
    return url if is_http_url(url, inner_spaces=True) else None
