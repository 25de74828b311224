"""The share gate: reading a post's context from the store, probing its link, and recording a share only when
the checklist is complete.

`mark_shared` recomputes the checklist inside the transaction that writes the share. Probing the item's link is
the one piece of network I/O: it happens before, in `refresh_link_probe`, and the checks read its stored result.
"""

import json
from datetime import datetime
from typing import Any

from amplify import accounts, compose
from amplify.checklist.checks import evaluate, valid_attestations
from amplify.checklist.hosts import own_hosts
from amplify.checklist.model import GateStatus, InvalidPostURL, ShareContext, ShareError, ShareRefused, StoredProbe
from amplify.clock import from_iso, to_iso
from amplify.display import without_direction_controls
from amplify.fetch import DEFAULT_LIMITS, FetchLimits, probe_link
from amplify.store import Store
from amplify.urls import is_http_url


def load_share_context(store: Store, draft_id: int, network: str) -> ShareContext:
    """Gather what the checks need for one post, from the store as it is now."""
    compose.network_rules(network)  # an unknown network is refused with the list of known ones
    subject = store.share_subject(draft_id, network)
    if subject is None:
        raise ShareError(
            f"draft {draft_id} has no {network} post; choose {network} for it in the Queue first"
        )
    source = {
        "name": subject.source_name,
        "handles": subject.source_handles,
        "credit": subject.source_credit,
    }
    # The address as shown, posted and probed: without direction controls (amplify/display.py).
    item_url = without_direction_controls(subject.item_url) or None
    probe_row = store.link_probe(item_url) if item_url else None
    attestation_rows = store.attestations(draft_id, network)
    version = subject.text_version
    return ShareContext(
        text=subject.text,
        network=network,
        text_version=version,
        source_name=subject.source_name,
        credit=compose.credit_for(source, network),
        item_url=item_url,
        published_at=from_iso(subject.item_published_at) if subject.item_published_at else None,
        image_url=subject.item_image_url,
        alt_text=subject.alt_text,
        own_hosts=own_hosts(
            subject.source_url,
            subject.feed_urls,
            subject.source_domains,
        ),
        probe=StoredProbe.from_record(probe_row) if probe_row else None,
        attested=valid_attestations(attestation_rows, version),
        draft_state=subject.draft_state,
        shared_networks=frozenset(subject.shared_networks),
        attestation_rows=tuple(attestation_rows),
        limits=accounts.post_limits(store, network),
        alt_text_limit=accounts.alt_text_limit(store, network),
    )


def _status(ctx: ShareContext, now: datetime) -> GateStatus:
    results = evaluate(ctx, now=now)
    missing = [result.check for result in results if result.check.kind == "attested" and not result.passed]
    return GateStatus(results, missing, not any(result.blocks for result in results))


def gate_status(store: Store, draft_id: int, network: str, *, now: datetime | None = None) -> GateStatus:
    """Where one post stands: every check's result, the attestations still missing, and whether it can be
    shared. For the composer to enable buttons and show reasons; `mark_shared` decides again on its own."""
    return _status(load_share_context(store, draft_id, network), now or store.clock())


def open_for_sharing(ctx: ShareContext, network: str, now: datetime) -> GateStatus:
    """The gate's verdict on a post that can still be shared; ShareError when it cannot be at all (already
    shared on this network, or its draft no longer open). One rule for `mark_shared` and for posting."""
    if network in ctx.shared_networks:
        raise ShareError(f"this draft is already shared on {compose.NETWORKS[network].label}; see History")
    if ctx.draft_state != "open":
        raise ShareError(f"this draft is {ctx.draft_state}; queue the item again to share it")
    return _status(ctx, now)


def refresh_link_probe(
    store: Store,
    url: str,
    *,
    now: datetime | None = None,
    force: bool = False,
    limits: FetchLimits = DEFAULT_LIMITS,
) -> StoredProbe:
    """Probe `url` when its stored probe is missing or older than a day (or when `force`), store the result
    and return it. Network I/O: call it before `mark_shared`, never inside a transaction."""
    if store.conn.in_transaction:
        # A probe can take as long as the fetch deadline; holding the write lock that long would stall every
        # other tab and the cron refresh.
        raise RuntimeError("refresh_link_probe does network I/O: call it before a transaction, not in one")
    stored = store.link_probe(url)
    if stored is not None and not force and StoredProbe.from_record(stored).is_fresh(now or store.clock()):
        return StoredProbe.from_record(stored)
    store.save_link_probe(probe_link(url, limits=limits))
    saved = store.link_probe(url)
    assert saved is not None
    return StoredProbe.from_record(saved)


def validate_post_url(post_url: str | None) -> str | None:
    """The post's address as given, trimmed; None when empty. Only a full http(s) link is accepted."""
    if post_url is None or not post_url.strip():
        return None
    cleaned = post_url.strip()
    if not is_http_url(cleaned):
        raise InvalidPostURL(
            f"{cleaned!r} is not a post address: paste the full link, starting with https://, "
            "or leave it empty"
        )
    return cleaned


def snapshot(ctx: ShareContext, status: GateStatus, now: datetime) -> dict[str, Any]:
    """What a share records about its checklist: every result, every attestation, the probe, and when."""
    probe = ctx.probe
    return {
        "checked_at": to_iso(now),
        "network": ctx.network,
        "text_version": ctx.text_version,
        "checks": [result.as_json() for result in status.results],
        "missing_attestations": [check.id for check in status.missing_attestations],
        "attestations": [
            {"id": row.check_id, "text_version": row.text_version, "attested_at": row.attested_at}
            for row in ctx.attestation_rows
            if row.check_id in ctx.attested
        ],
        "probe": None
        if probe is None
        else {
            "url": probe.url,
            "ok": probe.ok,
            "status": probe.status,
            "final_url": probe.final_url,
            "redirects": probe.redirects,
            "error": probe.error,
            "checked_at": to_iso(probe.checked_at),
        },
    }


def mark_shared(
    store: Store, draft_id: int, network: str, post_url: str | None = None, *, now: datetime | None = None
) -> int:
    """Record that the user shared this post, only if every blocking check passes and every attestation is
    given for the text as it is now. Returns the share's id; raises `ShareRefused` naming each reason.

    Everything is decided again inside the write transaction, so an edit in another tab between the last look
    and this click cannot slip through."""
    cleaned_post_url = validate_post_url(post_url)
    with store.transaction():
        moment = now or store.clock()
        ctx = load_share_context(store, draft_id, network)
        status = open_for_sharing(ctx, network, moment)
        if status.can_share:
            return store.record_share(
                draft_id,
                network,
                text_version=ctx.text_version,
                post_url=cleaned_post_url,
                checklist=snapshot(ctx, status, moment),
            )
        # A refused attempt is part of the record (the audit counts which checks stop shares), so it is
        # committed before the refusal is raised.
        store.log_event(
            "share_refused",
            draft_id=draft_id,
            network=network,
            text_version=ctx.text_version,
            failed=[result.check.id for result in status.failures if result.check.kind == "automatic"],
            missing_attestations=[check.id for check in status.missing_attestations],
        )
    raise ShareRefused(status.failures)


def record_post(store: Store, draft_id: int, network: str, post_url: str, *, text_version: int, text: str,
                checklist: str, gate_passed_at: str, now: datetime | None = None) -> int:
    """Record a post that is out on the network, against the words and text version its attempt sent and with
    the checklist snapshot (JSON) of the gate that attempt passed at `gate_passed_at`: the gate is not run again
    on what changes with time (the link's answer, the probe's age, the words edited since), since the post is out
    whatever it would say now. Returns the share's id."""
    recorded = {**json.loads(checklist), "gate_passed_at": gate_passed_at, "recorded_at": to_iso(now or store.clock())}
    return store.record_posted_share(draft_id, network, text_version=text_version, text=text,
                                     post_url=validate_post_url(post_url), checklist=recorded,
                                     gate_passed_at=gate_passed_at)
