"""The user's own audit goals (feeds.yml `settings: goals:`): shares a week, voices reached, and a part of their
shares for a self-described group (a goal, not a quota). `amplify.audit.goal_progress` says where they stand."""

from dataclasses import dataclass
from typing import Any

from amplify.audit_windows import AuditError


@dataclass(frozen=True)
class GroupTarget:
    """A goal for one self-described label's part of the user's shares (BBC 50:50 style: not a quota)."""

    label: str
    share: float


@dataclass(frozen=True)
class Goals:
    shares_per_week: float | None = None
    min_coverage: float | None = None
    group_targets: tuple[GroupTarget, ...] = ()

    @property
    def empty(self) -> bool:
        return self.shares_per_week is None and self.min_coverage is None and not self.group_targets


@dataclass(frozen=True)
class GoalProgress:
    """Where the user stands against one goal, in plain words."""

    goal: str
    target: float
    actual: float | None
    reached: bool
    sentence: str


def _fraction(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise AuditError(f"goals: {where} must be a number from 0 to 1 (0.3 means 30%), not {value!r}")
    return float(value)


def goals_from_settings(raw: Any) -> Goals:
    """Read `settings: goals:` from feeds.yml; an empty or missing block means no goals."""
    if not raw:
        return Goals()
    if not isinstance(raw, dict):
        raise AuditError("goals: write them as a mapping, for example `goals: {shares_per_week: 3}`")
    unknown = set(raw) - {"shares_per_week", "min_coverage", "group_targets"}
    if unknown:
        raise AuditError(
            f"goals: unknown goal {sorted(unknown)[0]!r}; use shares_per_week, min_coverage or group_targets"
        )
    per_week = raw.get("shares_per_week")
    if per_week is not None and (
        isinstance(per_week, bool) or not isinstance(per_week, int | float) or per_week < 0
    ):
        raise AuditError(f"goals: shares_per_week must be a number of shares, 0 or more, not {per_week!r}")
    min_coverage = raw.get("min_coverage")
    targets = []
    for position, entry in enumerate(raw.get("group_targets") or [], start=1):
        if not isinstance(entry, dict) or not str(entry.get("label") or "").strip():
            raise AuditError(
                f"goals: group_targets entry {position} needs a label, e.g. {{label: ..., share: 0.5}}"
            )
        targets.append(
            GroupTarget(
                str(entry["label"]).strip(),
                _fraction(entry.get("share"), f"group_targets entry {position} share"),
            )
        )
    return Goals(
        shares_per_week=float(per_week) if per_week is not None else None,
        min_coverage=_fraction(min_coverage, "min_coverage") if min_coverage is not None else None,
        group_targets=tuple(targets),
    )


def goals_to_settings(goals: Goals) -> dict[str, Any]:
    """The `settings: goals:` block for these goals (what the page writes back to feeds.yml)."""
    block: dict[str, Any] = {}
    if goals.shares_per_week is not None:
        block["shares_per_week"] = goals.shares_per_week
    if goals.min_coverage is not None:
        block["min_coverage"] = goals.min_coverage
    if goals.group_targets:
        block["group_targets"] = [
            {"label": target.label, "share": target.share} for target in goals.group_targets
        ]
    return block
