"""The verification and centering checklist, and the share gate.

Nothing is recorded as shared until every blocking check passes and the user has confirmed every attestation
for the text as it is now. The checks are data (`CHECKS`); `evaluate` decides from a `ShareContext` alone,
with no I/O, so the same answer reaches the composer (`gate_status`) and the gate (`mark_shared`), which
recomputes it inside the transaction that writes the share. Probing the item's link is the one piece of
network I/O: it happens before, in `refresh_link_probe`, and the checks read its stored result.
docs/checklist.md explains each check.

The package, by responsibility: `model` (the records and errors), `hosts` (whose site a link is on, and the link
checks), `text` (the checks that read the words), `checks` (the checklist as data, each check with its function,
and `evaluate`), `gate` (the store, the link probe and `mark_shared`). Everything is importable from here.
"""

from amplify.attestations import TEXT_BOUND_ATTESTATIONS
from amplify.checklist.checks import (
    ATTESTATIONS,
    CHECKS,
    CHECKS_BY_ID,
    evaluate,
    required_attestations,
    valid_attestations,
)
from amplify.checklist.gate import (
    gate_status,
    load_share_context,
    mark_shared,
    open_for_sharing,
    record_post,
    refresh_link_probe,
    snapshot,
    validate_post_url,
)
from amplify.checklist.hosts import REHOST_HOSTS, SHORTENER_HOSTS, host_of, own_hosts, site_verdict
from amplify.checklist.model import (
    PROBE_FRESH_FOR,
    Check,
    CheckResult,
    GateStatus,
    InvalidPostURL,
    ShareContext,
    ShareError,
    ShareRefused,
    StoredProbe,
)
from amplify.checklist.text import centering_notes, hashtag_problems

__all__ = [
    "ATTESTATIONS", "CHECKS", "CHECKS_BY_ID", "PROBE_FRESH_FOR", "REHOST_HOSTS", "SHORTENER_HOSTS",
    "TEXT_BOUND_ATTESTATIONS", "Check", "CheckResult", "GateStatus", "InvalidPostURL", "ShareContext", "ShareError",
    "ShareRefused", "StoredProbe", "centering_notes", "evaluate", "gate_status", "hashtag_problems", "host_of",
    "load_share_context", "mark_shared", "open_for_sharing", "own_hosts", "refresh_link_probe", "required_attestations",
    "site_verdict",
    "record_post", "snapshot", "valid_attestations", "validate_post_url",
]
