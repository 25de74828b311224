"""Audit: whose voices the user has shared, how spread out, whom they follow but have not shared, and goals.

Thin: the numbers come from `amplify.audit.run_audit`, the report and export from `amplify.report`. Names
and labels may come from feeds, so they are shown in tables (plain text) or escaped before any Markdown. A
label is shown only beside the URL where the source said it.
"""

from datetime import date, datetime
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from amplify import config
from amplify.audit import (
    NOT_STATED,
    Audit,
    Goals,
    GroupShares,
    WeekShares,
    Window,
    parse_window,
    run_audit,
)
from amplify.errors import AmplifyError
from amplify.export import export_shares
from amplify.follow.sync import forget_source
from amplify.report import (
    CHECKLIST_HEALTH_CAPTION,
    build_report,
    day,
    decimal,
    percent,
    representation_summary,
    weekly_summary,
    weekly_table,
)
from amplify.report_render import render as render_report
from amplify.store import Store
from amplify.ui import context
from amplify.ui.audit_goals import goals_section, load_goals
from amplify.ui.components import escape_markdown, in_words
from amplify.ui.pages import today
from amplify.ui.reach_views import reach_by_voice

# What the buttons say, and the window each names for `parse_window` ("month" asks which one).
WINDOWS = {"Last 7 days": "7", "Last 30 days": "30", "Last 90 days": "90", "A month": "month", "All time": "all"}
NEGLECTED_LINKS = 12
TODAY_PAGE_PATH = "today"


def render() -> None:
    st.title("Audit")
    st.caption("Whose voices you have shared, and whom you follow but have not shared yet.")
    store = context.store()
    now = store.clock()
    window = _window_picker(now)
    result = run_audit(store, window, now)
    goals = load_goals()

    _headline(result)
    goals_section(result, goals)
    if result.total_shares:
        _weekly_chart(result)
        _representation(result)
        _whom_you_shared(result)
        reach_by_voice(store, result)
    else:
        st.info(f"No shares {result.window.during} yet. When you mark a post shared, it is counted here.")
    _neglected(result)
    _last_shared(result)
    _checklist_health(result)
    _downloads(result, goals)
    _forget()


# -- choosing the window -------------------------------------------------------------------------------------


def _months(today_date: date) -> list[str]:
    """This month and the 23 before it, newest first."""
    year, month = today_date.year, today_date.month
    months = []
    for _ in range(24):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _window_picker(now: datetime) -> Window:
    left, right = st.columns([3, 2])
    choice = left.radio("Over", list(WINDOWS), index=1, key="audit_window", horizontal=True)
    name = WINDOWS[choice or "Last 30 days"]
    if name == "month":
        name = right.selectbox("Month", _months(now.date()), key="audit_month")
    return parse_window(name, now)


# -- the numbers ---------------------------------------------------------------------------------------------


def _headline(result: Audit) -> None:
    shares, voices, top, spread = st.columns(4)
    shares.metric("Shares", result.total_shares, help="Posts you marked shared in this window; retracted ones "
                  "are left out.")
    shares.caption(f"{decimal(result.shares_per_week)} a week")
    voices.metric(
        "Voices shared",
        f"{result.followed_sources_shared} of {result.followed_sources}",
        help="Sources you follow that you shared at least once in this window.",
    )
    voices.caption(
        f"{percent(result.coverage)} of those you follow" if result.coverage is not None else "you follow no one yet"
    )
    top.metric(
        "Top five voices' part",
        percent(result.top5_share),
        help="The part of your shares that went to your five most-shared sources.",
    )
    most_shared = min(5, result.sources_shared)
    top.caption(
        "no shares yet"
        if result.top5_share is None
        else "of your shares went to your most-shared voice"
        if most_shared == 1
        else f"of your shares went to your {most_shared} most-shared voices"
    )
    spread.metric(
        "Effective number of voices",
        decimal(result.effective_voices),
        help="How spread out your shares are: sharing this many voices equally would spread them the same "
        "way. Evenness runs from 0 to 1: 1 means you shared each voice you shared equally often. "
        "(exp of the Shannon entropy of your shares over sources; see docs/audit.md.)",
    )
    spread.caption(
        f"evenness {decimal(result.evenness, 2)}"
        if result.evenness is not None
        else "evenness needs shares of two or more voices"
    )


# -- charts, each with a caption and a table -----------------------------------------------------------------


def _weekly_frame(weekly: list[WeekShares]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"week": row.week_start.isoformat(), "group": row.group, "shares": row.shares} for row in weekly if row.group]
    )


def _weekly_chart(result: Audit) -> None:
    st.subheader("Shares per week")
    by = st.radio("Stack by", ("kind", "label"), horizontal=True, key="audit_stack")
    weekly = result.weekly_by_kind if by == "kind" else result.weekly_by_label
    st.caption(
        "Each bar is a week (from Monday), split by the kind of source."
        if by == "kind"
        else "Each bar is a week (from Monday), split by what sources say of themselves; a source with "
        "several labels counts under each, so a bar can be taller than that week's shares."
    )
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    frame = _weekly_frame(weekly)
    summary = weekly_summary(weekly)
    chart_tab.altair_chart(
        alt.Chart(frame, description=summary)
        .mark_bar()
        .encode(
            x=alt.X("week:O", title="Week of (Monday)", axis=alt.Axis(labelAngle=-45, labelOverlap="greedy")),
            y=alt.Y("sum(shares):Q", title="Shares"),
            color=alt.Color("group:N", title=by),
            tooltip=["week:N", "group:N", "shares:Q"],
        ),
        width="stretch",
    )
    table = weekly_table(weekly)
    table_tab.dataframe(pd.DataFrame(table.rows, columns=table.headers), hide_index=True, key="audit_weekly_table")
    in_words(summary, "audit_weekly_summary")


_GROUPINGS = {"label": "by_label", "kind": "by_kind", "tag": "by_tag"}


def _group_frame(rows: list[GroupShares]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "group": row.group,
                "shares": row.shares,
                "part of your shares": row.amplification_share,
                "part of whom you follow": row.followed_share,
                "ratio": row.representation_ratio,
            }
            for row in rows
        ]
    )


def _representation(result: Audit) -> None:
    st.subheader("Compared with whom you follow")
    grouping = st.radio("Group by", tuple(_GROUPINGS), horizontal=True, key="audit_grouping")
    rows: list[GroupShares] = getattr(result, _GROUPINGS[grouping])
    st.caption(
        "Ratio: a group's part of your shares divided by its part of the sources you follow. 1 means in "
        "step; above 1, you share them more than you follow them; below 1, less. "
        f'Labels are only what sources say of themselves; everyone else is "{NOT_STATED}".'
    )
    frame = _group_frame(rows)
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    ratios = frame.dropna(subset=["ratio"])
    summary = representation_summary(rows)
    chart_tab.altair_chart(
        alt.Chart(ratios, description=summary)
        .mark_bar()
        .encode(
            x=alt.X("ratio:Q", title="Part of your shares ÷ part of whom you follow"),
            y=alt.Y("group:N", sort="-x", title=None),
            tooltip=["group:N", "shares:Q", alt.Tooltip("ratio:Q", format=".2f")],
        )
        + alt.Chart(pd.DataFrame({"ratio": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="ratio:Q"),
        width="stretch",
    )
    table_tab.dataframe(
        frame,
        hide_index=True,
        key="audit_groups_table",
        column_config={
            "part of your shares": st.column_config.NumberColumn(format="percent"),
            "part of whom you follow": st.column_config.NumberColumn(format="percent"),
            "ratio": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    in_words(summary, "audit_groups_summary")


def _whom_you_shared(result: Audit) -> None:
    st.subheader("Whom you shared")
    st.caption(
        "Each source you shared in this window, most shared first. Labels appear only with the page "
        "where the source said them."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "source": row.name,
                    "kind": row.kind,
                    "shares": row.shares,
                    "part": row.fraction,
                    "says of itself": ", ".join(row.labels) or NOT_STATED,
                    "where they said it": row.statement_url,
                }
                for row in result.by_source
            ]
        ),
        hide_index=True,
        key="audit_sources_table",
        column_config={
            "part": st.column_config.NumberColumn(format="percent"),
            "where they said it": st.column_config.LinkColumn(),
        },
    )


def _neglected(result: Audit) -> None:
    st.subheader("Followed, posted, not shared")
    if not result.neglected:
        st.caption(
            f"Everyone you follow who published {result.window.during} was shared."
            if result.total_shares
            else f"No one you follow published {result.window.during}, as far as the last refresh saw."
        )
        return
    st.caption(
        f"{len(result.neglected)} sources you follow published {result.window.during} and were not "
        "shared. The most active first."
    )
    today_page = st.Page(today.render, title="Today", url_path=TODAY_PAGE_PATH)
    for row in result.neglected[:NEGLECTED_LINKS]:
        name, posts, link = st.columns([4, 2, 2], vertical_alignment="center")
        name.markdown(escape_markdown(row.name))
        posts.caption(f"{row.items_in_window} posts, last shared {day(row.last_shared_at)}")
        link.page_link(today_page, label="See their latest", query_params={"source": row.name})
    if len(result.neglected) > NEGLECTED_LINKS:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "source": row.name,
                        "posts": row.items_in_window,
                        "latest post": row.latest_item_at,
                        "see their latest": "/?" + urlencode({"source": row.name}),
                    }
                    for row in result.neglected
                ]
            ),
            hide_index=True,
            key="audit_neglected_table",
            column_config={"see their latest": st.column_config.LinkColumn(display_text="See their latest")},
        )


def _last_shared(result: Audit) -> None:
    with st.expander("Days since each source you follow was last shared"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "source": row.name,
                        "days since last share": row.days_since_last_share,
                        "last shared": day(row.last_shared_at),
                    }
                    for row in sorted(result.last_shared, key=lambda row: -(row.days_since_last_share or 10**9))
                ]
            ),
            hide_index=True,
            key="audit_last_shared_table",
        )


def _checklist_health(result: Audit) -> None:
    st.subheader("Checklist health")
    if not result.checklist:
        st.caption("Nothing to show yet: the checklist's results are counted once you share.")
        return
    st.caption(CHECKLIST_HEALTH_CAPTION)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "check": row.label,
                    "part of attempts it failed": row.failure_rate,
                    "flagged when shared": row.flagged_at_share,
                    "attempts it stopped": row.refused_attempts,
                    "why it matters": row.why,  # last: the numbers stay in view on a narrow screen
                }
                for row in result.checklist
            ]
        ),
        hide_index=True,
        key="audit_checklist_table",
        column_config={"part of attempts it failed": st.column_config.NumberColumn(format="percent")},
    )


# -- report, export, forget ----------------------------------------------------------------------------------


def _downloads(result: Audit, goals: Goals) -> None:
    st.subheader("Report and export")
    st.caption("The report holds the numbers above for this window. The export is every share you recorded.")
    columns = st.columns(4)
    stem = f"amplify-report-{result.window.label.replace(' ', '-').lower()}"
    for column, fmt, mime in zip(columns[:2], ("md", "html"), ("text/markdown", "text/html"), strict=True):
        column.download_button(
            f"Report ({'Markdown' if fmt == 'md' else 'HTML'})",
            data=lambda fmt=fmt: render_report(build_report(result, goals), fmt),
            file_name=f"{stem}.{fmt}",
            mime=mime,
            key=f"audit_download_report_{fmt}",
            on_click="ignore",
        )
    for column, fmt, mime in zip(columns[2:], ("csv", "json"), ("text/csv", "application/json"), strict=True):
        column.download_button(
            f"Export shares ({fmt.upper()})",
            data=lambda fmt=fmt: _export(fmt),
            file_name=f"amplify-shares.{fmt}",
            mime=mime,
            key=f"audit_export_{fmt}",
            on_click="ignore",
        )


def _export(fmt: str) -> str:
    # Runs when the button is pressed, after this script run's store is closed: open one of its own.
    with Store(config.db_path()) as store:
        return export_shares(store, fmt)


def _forget() -> None:
    with st.expander("Forget a source"):
        st.caption(
            "Removes what says who they are (identity labels, handles, notes) and renames them. Your "
            f'record of what you shared stays; the audit counts those shares as "{NOT_STATED}".'
        )
        names = context.store().remembered_source_names()
        name = st.selectbox("Source", names, index=None, key="audit_forget_source")
        if name is None:
            return
        redact = st.checkbox("Also show the words of my shares of their work as redacted",
                             key="audit_forget_redact",
                             help="A handle or name inside a share you recorded stays in the log, which is "
                                  "append-only; with this, History and the export show those words as redacted.")
        if not st.session_state.get("audit_forget_confirm"):
            st.button("Forget this source", key="audit_forget", on_click=_ask_to_confirm)
            return
        st.warning(f"Forget who {name} is? This cannot be undone.")
        yes, no = st.columns(2)
        if yes.button("Yes, forget them", key="audit_forget_yes", type="primary"):
            st.session_state["audit_forget_confirm"] = False
            try:
                new_name = forget_source(context.feeds_path(), context.store(), name, redact_shares=redact)
            except AmplifyError as error:
                st.error(str(error))
                return
            st.toast(f"Forgotten. They are now {new_name}.")
            st.rerun()
        no.button("Cancel", key="audit_forget_no", on_click=_cancel_confirm)


def _ask_to_confirm() -> None:
    st.session_state["audit_forget_confirm"] = True


def _cancel_confirm() -> None:
    st.session_state["audit_forget_confirm"] = False
