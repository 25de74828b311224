"""Reach by voice: whose voices the user's reach carried, beside whose voices they shared.

For the shares of a window that have reach numbers (the latest snapshot of each, read from the network or typed by
hand), per voice and per self-described group: how many shares, how many interactions (reposts, likes, replies and
quotes together), and their part of all interactions beside their part of the shares, so the user sees whether
their reach goes where their shares go. Interactions per share by network, too. Not a score and not a ranking:
numbers side by side. A source that describes itself with several labels counts in each of its groups, as in the
voice audit; labels are only ever what a source says of itself ("not stated" otherwise).
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from amplify.audit import NOT_STATED, Audit, SourceShares
from amplify.audit_windows import Window
from amplify.networks import NAMES
from amplify.store import Store
from amplify.types import ShareReach


@dataclass(frozen=True)
class GroupReach:
    """One voice or group: its shares with numbers, their interactions, and both as parts of the whole."""

    group: str
    shares: int
    interactions: int
    share_part: float | None
    interaction_part: float | None


@dataclass(frozen=True)
class NetworkReach:
    network: str
    shares: int
    interactions: int
    per_share: float | None


@dataclass(frozen=True)
class ReachAudit:
    window: Window
    total_shares: int  # every counted share in the window
    measured_shares: int  # those with reach numbers
    interactions: int
    deleted: int  # posts found deleted (their last numbers before that count)
    by_voice: list[GroupReach]
    by_label: list[GroupReach]
    by_network: list[NetworkReach]


def _parts(groups: Iterable[str], shares: Counter[str], interactions: Counter[str], measured: int,
           total: int) -> list[GroupReach]:
    rows = [
        GroupReach(group, shares[group], interactions[group], shares[group] / measured if measured else None,
                   interactions[group] / total if total else None)
        for group in groups
    ]
    return sorted(rows, key=lambda row: (-row.shares, row.group.casefold()))


def compute_reach_audit(audit: Audit, reach: Sequence[ShareReach]) -> ReachAudit:
    """Reach by voice, group and network from the voice audit of a window and its shares' latest numbers."""
    voices: dict[int, SourceShares] = {row.source_id: row for row in audit.by_source}
    total = sum(row.interactions for row in reach)
    by_voice: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    by_label: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    by_network: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    for row in reach:
        voice = voices.get(row.source_id)
        name = voice.name if voice else f"source {row.source_id}"
        labels = (voice.labels if voice else ()) or (NOT_STATED,)
        for counters, keys in ((by_voice, (name,)), (by_label, labels), (by_network, (row.network,))):
            for key in keys:
                counters[0][key] += 1
                counters[1][key] += row.interactions
    measured = len(reach)
    networks = [NetworkReach(NAMES.get(network, network), by_network[0][network], by_network[1][network],
                             by_network[1][network] / by_network[0][network])
                for network in sorted(by_network[0], key=lambda key: NAMES.get(key, key))]
    return ReachAudit(
        window=audit.window,
        total_shares=audit.total_shares,
        measured_shares=measured,
        interactions=total,
        deleted=sum(1 for row in reach if row.deleted),
        by_voice=_parts(by_voice[0], *by_voice, measured, total),
        by_label=_parts(by_label[0], *by_label, measured, total),
        by_network=networks,
    )


def run_reach_audit(store: Store, audit: Audit) -> ReachAudit:
    """Ask the store for the window's latest numbers and compute reach by voice."""
    return compute_reach_audit(audit, store.reach_in_window(audit.window.start_iso, audit.window.end_iso))

