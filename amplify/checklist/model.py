"""The checklist's records: a check, the context the checks read, their results and the gate's answer."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from amplify import compose
from amplify.clock import from_iso
from amplify.errors import AmplifyError
from amplify.types import Attestation, LinkProbe, LinkProbeRecord

PROBE_FRESH_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Check:
    """One item of the checklist. An automatic check carries the function that decides it (`run`, reading only
    the context and the time); an attested one is confirmed by the user and has none."""

    id: str
    label: str
    why: str
    kind: Literal["automatic", "attested"]
    severity: Literal["blocking", "advisory"]
    run: "Callable[[ShareContext, datetime], tuple[bool, str]] | None" = field(
        default=None, compare=False, repr=False
    )


class ShareError(AmplifyError):
    """A share that cannot be recorded; the message says what to do."""


class ShareRefused(ShareError):
    """The checklist is not complete: `failures` holds every failed blocking check and missing attestation."""

    def __init__(self, failures: Sequence["CheckResult"]) -> None:
        self.failures = list(failures)
        reasons = "\n".join(f"- {result.check.label}: {result.detail}" for result in self.failures)
        super().__init__(f"Not marked shared yet. Still to do:\n{reasons}")


class InvalidPostURL(ShareError):
    pass


# -- the context and the results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredProbe(LinkProbe):
    """A link probe as stored: what `probe_link` found, and when."""

    checked_at: datetime

    @classmethod
    def from_record(cls, record: LinkProbeRecord) -> "StoredProbe":
        return cls(
            record.url, record.ok, record.status, record.final_url, record.redirects, record.error,
            from_iso(record.checked_at),
        )

    def is_fresh(self, now: datetime) -> bool:
        return now - self.checked_at <= PROBE_FRESH_FOR


@dataclass(frozen=True)
class ShareContext:
    """Everything the checks look at for one network's post; built by `load_share_context` from the store."""

    text: str
    network: str
    text_version: int
    source_name: str
    credit: compose.Credit
    item_url: str | None
    published_at: datetime | None = None
    image_url: str | None = None
    alt_text: str | None = None
    own_hosts: tuple[str, ...] = ()  # the source's url host, its feed hosts and its extra domains
    probe: StoredProbe | None = None
    attested: frozenset[str] = frozenset()  # attestations valid for this text version
    draft_state: str = "open"
    shared_networks: frozenset[str] = frozenset()  # networks this draft already has an active share on
    attestation_rows: tuple[Attestation, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    passed: bool
    detail: str

    @property
    def blocks(self) -> bool:
        return not self.passed and self.check.severity == "blocking"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.check.id,
            "label": self.check.label,
            "kind": self.check.kind,
            "severity": self.check.severity,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class GateStatus:
    results: list[CheckResult]
    missing_attestations: list[Check]
    can_share: bool

    @property
    def failures(self) -> list[CheckResult]:
        """Every blocking check that fails, missing attestations included, in checklist order."""
        return [result for result in self.results if result.blocks]
