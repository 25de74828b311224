"""The Audit page's goals: progress in plain words, and the form that writes them to feeds.yml."""

import streamlit as st

from amplify.audit import Audit, goal_progress
from amplify.errors import AmplifyError
from amplify.follow.edit import set_setting
from amplify.follow.load import load_follow_list
from amplify.goals import Goals, GroupTarget, goals_from_settings, goals_to_settings
from amplify.ui import context
from amplify.ui.components import escape_markdown


def load_goals() -> Goals:
    """The goals in feeds.yml; a file that cannot be read is said so, and means no goals."""
    path = context.feeds_path()
    if not path.exists():
        return Goals()
    try:
        return goals_from_settings(load_follow_list(path).settings.goals)
    except AmplifyError as error:
        st.warning(f"Your goals in {path.name} could not be read: {error}")
        return Goals()


def goals_section(result: Audit, goals: Goals) -> None:
    """Where the user stands against each goal, and a form to set them."""
    st.subheader("Your goals")
    if goals.empty:
        st.caption("No goals set. Goals are for you alone: a direction, not a quota.")
    for progress in goal_progress(result, goals):
        st.markdown(escape_markdown(progress.sentence))
    with st.expander("Set your goals"):
        _goal_form(goals)


def _goal_form(goals: Goals) -> None:
    with st.form("audit_goals_form"):
        per_week = st.number_input(
            "Shares a week",
            min_value=0.0,
            step=1.0,
            key="goal_per_week",
            value=goals.shares_per_week or 0.0,
            help="0 means no goal.",
        )
        # Percentages are typed, not slid: a slider shows its value in the accent colour, which the dark theme
        # cannot make readable as text while white on it stays readable (docs/accessibility.md).
        coverage = st.number_input(
            "Share at least this part of whom you follow (%)",
            min_value=0,
            max_value=100,
            step=5,
            key="goal_coverage",
            value=round((goals.min_coverage or 0) * 100),
            help="0 means no goal.",
        )
        current = goals.group_targets[0] if goals.group_targets else GroupTarget("", 0.5)
        label = st.text_input(
            "A self-described label to aim for (optional)"
            + (
                f" (your {len(goals.group_targets) - 1} other label goals in feeds.yml are kept)"
                if len(goals.group_targets) > 1
                else ""
            ),
            value=current.label,
            key="goal_label",
            help="As sources say it of themselves, e.g. woman-owned.",
        )
        target = st.number_input(
            "Part of your shares for that label (%)",
            min_value=0,
            max_value=100,
            step=5,
            key="goal_label_share",
            value=round(current.share * 100),
        )
        if st.form_submit_button("Save goals"):
            _save_goals(
                Goals(
                    shares_per_week=per_week or None,
                    min_coverage=coverage / 100 or None,
                    # The form edits the first label goal; any others written in feeds.yml stay as they are.
                    group_targets=((GroupTarget(label.strip(), target / 100),) if label.strip() else ())
                    + goals.group_targets[1:],
                )
            )


def _save_goals(goals: Goals) -> None:
    try:
        set_setting(context.feeds_path(), "goals", goals_to_settings(goals) or None)
    except AmplifyError as error:
        st.error(f"Your goals were not saved: {error}")
        return
    st.toast("Goals saved to your follow list.")
