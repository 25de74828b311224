"""Checklist health for the audit: how often each check was flagged on recorded shares, and how many attempts it
stopped (refused shares)."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from amplify.checklist import CHECKS_BY_ID
from amplify.types import CheckFlags, RefusedAttempt


@dataclass(frozen=True)
class CheckHealth:
    """How often one check was flagged on recorded shares, and how many attempts it stopped."""

    check_id: str
    label: str
    why: str | None  # the one line the checklist shows with it; None for a check it no longer has
    shares_checked: int
    flagged_at_share: int
    flag_rate: float | None
    refused_attempts: int
    # Every attempt (a recorded share or a refusal) ran every check: the part of them this check failed on,
    # flagged at share time or stopping the share. None with no attempts.
    failure_rate: float | None


def check_outcomes(snapshot: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(check id, label, flagged) for each check in a share's checklist snapshot.

    A check is flagged when it did not pass: an advisory flag, or a failure the snapshot recorded. Snapshots
    list checks under "checks", each with "id", "label" and "passed" (the shape `amplify.checklist` writes;
    the `share_flags` trigger in the schema reads them the same way).
    """
    checks = snapshot.get("checks")
    return [
        (str(check["id"]), str(check.get("label") or check["id"]), not check.get("passed"))
        for check in (checks if isinstance(checks, list) else [])
        if isinstance(check, dict) and check.get("id") is not None
    ]


def refused_check_ids(detail: dict[str, Any]) -> list[str]:
    """The checks a refused attempt named: "failed" (a list of ids) or the "checks" entries that did not pass,
    plus any "missing_attestations" (the same shape as a share's snapshot)."""
    if isinstance(detail.get("failed"), list):
        failed = [str(check_id) for check_id in detail["failed"]]
    else:
        failed = [check_id for check_id, _, flagged in check_outcomes(detail) if flagged]
    missing = detail.get("missing_attestations")
    return failed + ([str(check_id) for check_id in missing] if isinstance(missing, list) else [])


def _known_label(check_id: str) -> str:
    check = CHECKS_BY_ID.get(check_id)
    return check.label if check else check_id


def checklist_health(
    shares_checked: int,
    latest_snapshot: dict[str, Any],
    flags: Sequence[CheckFlags],
    refusals: Sequence[RefusedAttempt],
) -> list[CheckHealth]:
    """Per check: on how many of the window's shares it was flagged, and how many attempts it stopped.

    Every snapshot holds every check the gate ran, so a check found in the newest snapshot or flagged at all
    was checked on each of the `shares_checked` shares. Blocking checks always pass on a recorded share (the
    gate refuses otherwise), so their story is in the refused attempts; advisory checks (centering, freshness)
    show up as flags at share time. A check named only by refusals (an attestation) was not checked on shares.
    """
    labels = {check_id: label for check_id, label, _ in check_outcomes(latest_snapshot)}
    flagged: Counter[str] = Counter()
    for row in flags:
        labels.setdefault(row.check_id, row.label or _known_label(row.check_id))
        flagged[row.check_id] = row.flagged
    checked = dict.fromkeys(labels, shares_checked)
    refused: Counter[str] = Counter()
    for attempt in refusals:
        for check_id in dict.fromkeys(refused_check_ids(attempt.detail)):
            # Refusals log ids only: the label comes from the checklist, as the composer showed it.
            labels.setdefault(check_id, _known_label(check_id))
            refused[check_id] += 1
    attempts = shares_checked + len(refusals)
    rows = [
        CheckHealth(
            check_id,
            labels[check_id],
            CHECKS_BY_ID[check_id].why if check_id in CHECKS_BY_ID else None,
            checked.get(check_id, 0),
            flagged[check_id],
            flagged[check_id] / checked[check_id] if checked.get(check_id) else None,
            refused[check_id],
            (flagged[check_id] + refused[check_id]) / attempts if attempts else None,
        )
        for check_id in labels
    ]
    return sorted(rows, key=lambda row: (-row.flagged_at_share - row.refused_attempts, row.check_id))
