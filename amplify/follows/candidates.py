"""Choosing and adding: which candidates the follow list has already, and the chosen ones written to feeds.yml (with
their website's feed, found by discovery, a few sites at a time)."""

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from amplify.fetch import DEFAULT_LIMITS, FetchLimits
from amplify.follow.edit import add_sources
from amplify.follow.errors import SourceEditError
from amplify.follow.load import load_follow_list
from amplify.follows.model import Candidate
from amplify.networks import normalize_handle
from amplify.types import FollowList, Settings, Source

SITE_WORKERS = 8


def already_followed(candidates: Iterable[Candidate], follow_list: FollowList) -> set[str]:
    """The handles of the candidates the follow list has already: by handle on that network, or by feed."""
    handles = {(network, handle.casefold()) for source in follow_list.sources
               for network, handle in source.handles.items()}
    feeds = {feed for source in follow_list.sources for feed in source.feeds}
    return {candidate.handle for candidate in candidates
            if (candidate.network, candidate.handle.casefold()) in handles or candidate.feed_url in feeds}


@dataclass(frozen=True)
class AddResult:
    """What `add_candidates` did: sources added, ones refused (with why), ones skipped as already followed, and
    websites whose feed could not be found (each with the reason)."""

    added: list[Source]
    refused: list[tuple[Source, SourceEditError]]
    already: list[Candidate]
    site_problems: list[tuple[Candidate, str]]


def source_for(candidate: Candidate, name: str, site_feed: str | None = None) -> Source:
    """The feeds.yml entry for a candidate: never any identity label."""
    feeds = tuple(dict.fromkeys(feed for feed in (candidate.feed_url, site_feed) if feed))
    handle = normalize_handle(candidate.network, candidate.handle)
    return Source(name=name, feeds=feeds, url=candidate.website or candidate.profile_url,
                  handles={candidate.network: handle} if handle else {})


def add_candidates(feeds_path: str | os.PathLike[str], candidates: Iterable[Candidate], *,
                   find_site_feeds: bool = True, limits: FetchLimits = DEFAULT_LIMITS,
                   progress: Callable[[int, int], None] | None = None) -> AddResult:
    """Follow the chosen candidates: one write to feeds.yml, the user's comments and order kept. Accounts already
    followed are skipped; a name already taken gets the handle beside it."""
    path = Path(feeds_path)
    follow_list = load_follow_list(path) if path.exists() else FollowList((), Settings())
    chosen = list(dict.fromkeys(candidates))
    followed = already_followed(chosen, follow_list)
    fresh = [candidate for candidate in chosen if candidate.handle not in followed]
    site_feeds, site_problems = _site_feeds(fresh, limits, progress) if find_site_feeds else ({}, [])
    taken = {source.name.casefold() for source in follow_list.sources}
    sources = []
    for candidate in fresh:
        name = candidate.name
        if name.casefold() in taken:
            name = f"{candidate.name} ({candidate.handle})"
        taken.add(name.casefold())
        sources.append(source_for(candidate, name, site_feeds.get(candidate.handle)))
    added, refused = add_sources(path, sources) if sources else ([], [])
    return AddResult(added, refused, [candidate for candidate in chosen if candidate.handle in followed],
                     site_problems)


def _site_feeds(candidates: list[Candidate], limits: FetchLimits, progress: Callable[[int, int], None] | None
                ) -> tuple[dict[str, str], list[tuple[Candidate, str]]]:
    """The feed of each candidate's website, found by discovery, a few sites at a time."""
    from amplify.discover import DiscoveryError, discover_feed

    with_site = [candidate for candidate in candidates if candidate.website]
    found: dict[str, str] = {}
    problems: list[tuple[Candidate, str]] = []

    def discover(candidate: Candidate) -> tuple[Candidate, str | None, str | None]:
        try:
            return candidate, discover_feed(candidate.website or "", limits=limits).feed_url, None
        except DiscoveryError as error:
            return candidate, None, str(error)

    with ThreadPoolExecutor(max_workers=SITE_WORKERS) as pool:
        for done, (candidate, feed, problem) in enumerate(pool.map(discover, with_site), start=1):
            if feed:
                found[candidate.handle] = feed
            elif problem:
                problems.append((candidate, problem))
            if progress:
                progress(done, len(with_site))
    return found, problems
