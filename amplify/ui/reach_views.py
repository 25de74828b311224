"""Reach on the pages: the "Check reach" button, a share's numbers on History (with a small line over its snapshots
and a form to type numbers by hand), and the Audit page's "Reach by voice".

Thin: the numbers come from `amplify.reach_run`, `amplify.audit_reach` and the store; the words from
`amplify.report`. Plain words, a caption on every chart, a table beside it; no scores, no ranking.
"""

import os

import altair as alt
import pandas as pd
import streamlit as st

from amplify.audit import Audit
from amplify.audit_reach import GroupReach, run_reach_audit
from amplify.reach import APPVIEW_VARIABLE, PLC_VARIABLE, PRIVATE_NUMBERS, PUBLIC_APPVIEW, PUBLIC_PLC, post_address
from amplify.report import NETWORK_HEADERS, REACH_CAPTION, network_rows, reach_summary
from amplify.store import Store
from amplify.store.reach import TYPED_NETWORKS
from amplify.types import ReachSnapshot
from amplify.ui import composer, context
from amplify.ui.components import escape_markdown, in_words

# The chart shows this many voices (those with the most shares with numbers); the table shows them all.
CHART_VOICES = 20
COUNT_NAMES = {"reposts": "Reposts", "likes": "Likes", "replies": "Replies", "quotes": "Quotes"}
RESULT_KEY = "reach_result"
UNREAD_AGAIN = "amplify tries those again a day later at the soonest, and not after the 30-day look."


# -- checking ------------------------------------------------------------------------------------------------


def check_reach_button(key: str) -> None:
    """ "Check reach": take the snapshots that are due now, and say what it did."""
    st.button("Check reach", key=key, on_click=_check,
              help="Reads the public counts of your Mastodon and Bluesky posts that are due a look (about 1 hour, "
                   "1 day, 7 days and 30 days after each share). Never who liked or boosted them.")
    said = st.session_state.pop(RESULT_KEY, None)
    if said:
        st.info(escape_markdown(said))


def _check() -> None:
    from amplify.reach_run import check_reach

    settings = context.follow_list().follow_list.settings
    limits = context.fetch_limits()
    appview = os.environ.get(APPVIEW_VARIABLE) or PUBLIC_APPVIEW
    outcome: list[str] = []

    def run(store: Store) -> None:
        result = check_reach(store, appview=appview, limits=limits, own_instance=settings.mastodon_instance,
                             max_wait=30, plc=os.environ.get(PLC_VARIABLE) or PUBLIC_PLC)
        if not result.due:
            outcome.append("No post is due a look right now.")
            return
        words = [f"Read {result.taken} of {result.due} posts due a look."]
        if result.deleted:
            words.append(f"{result.deleted} of them {'was' if result.deleted == 1 else 'were'} deleted.")
        words += [f"Share {problem.share_id}: {problem.reason}." for problem in result.problems[:5]]
        if result.problems:
            words.append(UNREAD_AGAIN)
        words += [f"Paused: {paused}." for paused in result.paused]
        outcome.append(" ".join(words))

    composer.write(run)
    if outcome:
        st.session_state[RESULT_KEY] = outcome[0]


# -- History -------------------------------------------------------------------------------------------------


def share_reach(share_id: int, network: str, post_url: str | None, snapshots: list[ReachSnapshot],
                failure: tuple[str, str] | None = None) -> None:
    """A share's latest numbers, a small line over its snapshots, why its last reading failed (`failure`, when and
    why, if it came after the last numbers read), and (where amplify cannot read them) a form to type the numbers
    the network shows."""
    latest = snapshots[-1] if snapshots else None
    if latest is not None:
        counted = [snapshot for snapshot in snapshots if not snapshot.deleted]
        shown = counted[-1] if counted else latest
        parts = [f"{getattr(shown, name) or 0} {label.lower()}" for name, label in COUNT_NAMES.items()]
        how = "typed by you" if shown.source == "typed" else "read from the network"
        st.caption(escape_markdown(f"Reach: {', '.join(parts)} ({how}, {shown.taken_at[:16].replace('T', ' ')} "
                                   "UTC)."))
        if latest.deleted:
            st.caption("The post was deleted: amplify stopped reading its numbers.")
        if len(counted) > 1:
            _reach_line(share_id, counted)
    if failure is not None:
        tried, reason = failure
        said = ("this instance keeps its numbers private" if reason == PRIVATE_NUMBERS
                else f"the numbers could not be read ({reason})")
        st.caption(escape_markdown(f"Reach: {said}, {tried[:16].replace('T', ' ')} UTC. {UNREAD_AGAIN}"))
    readable = post_url is not None and post_address(network, post_url) is not None
    if network in TYPED_NETWORKS or not readable:
        with st.expander("Type the numbers you see"):
            _typed_form(share_id)


def _reach_line(share_id: int, snapshots: list[ReachSnapshot]) -> None:
    frame = pd.DataFrame([{"taken": snapshot.taken_at, "interactions": snapshot.interactions}
                          for snapshot in snapshots])
    summary = (f"Interactions went from {snapshots[0].interactions} to {snapshots[-1].interactions} over "
               f"{len(snapshots)} looks.")
    st.altair_chart(
        alt.Chart(frame, description=summary, height=90)
        .mark_line(point=True)
        .encode(x=alt.X("taken:T", title="When read"), y=alt.Y("interactions:Q", title="Interactions"),
                tooltip=["taken:T", "interactions:Q"]),
        width="stretch",
    )
    st.caption(escape_markdown(f"Reposts, likes, replies and quotes together at each look. {summary}"))


def _typed_form(share_id: int) -> None:
    with st.form(f"reach_typed_{share_id}"):
        columns = st.columns(len(COUNT_NAMES))
        for column, (name, label) in zip(columns, COUNT_NAMES.items(), strict=True):
            column.number_input(label, min_value=0, step=1, value=None, key=f"reach_{name}_{share_id}")
        st.form_submit_button("Keep these numbers", on_click=_keep_typed, args=(share_id,))


def _keep_typed(share_id: int) -> None:
    counts = {name: st.session_state.get(f"reach_{name}_{share_id}") for name in COUNT_NAMES}
    counts = {name: int(value) for name, value in counts.items() if value is not None}
    composer.write(lambda store: store.add_typed_reach(share_id, **counts))


# -- Audit ---------------------------------------------------------------------------------------------------


def _parts_frame(rows: list[GroupReach]) -> pd.DataFrame:
    return pd.DataFrame([
        {"group": row.group, "measure": measure, "part": value}
        for row in rows
        for measure, value in (("part of these shares", row.share_part),
                               ("part of the interactions", row.interaction_part))
    ])


def reach_by_voice(store: Store, result: Audit) -> None:
    """For the window's shares with numbers: each group's (or voice's) part of the shares beside its part of the
    interactions, as a chart and a table; and interactions per share by network."""
    st.subheader("Reach by voice")
    reach = run_reach_audit(store, result)
    st.caption("Whose voices your reach carried. " + REACH_CAPTION)
    check_reach_button("audit_check_reach")
    summary = reach_summary(reach)
    if not reach.measured_shares:
        st.info(escape_markdown(summary))
        return
    grouping = st.radio("Show", ("self-described group", "voice"), horizontal=True, key="audit_reach_grouping")
    rows = reach.by_label if grouping == "self-described group" else reach.by_voice
    charted = rows[:CHART_VOICES]
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    chart_tab.caption(
        "Two bars for each: its part of your shares with numbers, and its part of their interactions. Bars of "
        "the same length mean your reach went where your shares went."
        + (f" The chart shows the {CHART_VOICES} with the most shares; the table has all {len(rows)}."
           if len(rows) > CHART_VOICES else "")
    )
    chart_tab.altair_chart(
        alt.Chart(_parts_frame(charted), description=summary)
        .mark_bar()
        .encode(
            x=alt.X("part:Q", title="Part", axis=alt.Axis(format="%")),
            y=alt.Y("group:N", title=None, sort=[row.group for row in charted]),
            yOffset="measure:N",
            color=alt.Color("measure:N", title=None),
            tooltip=["group:N", "measure:N", alt.Tooltip("part:Q", format=".0%")],
        ),
        width="stretch",
    )
    table_tab.dataframe(
        pd.DataFrame([{grouping: row.group, "shares with numbers": row.shares, "interactions": row.interactions,
                       "part of these shares": row.share_part, "part of the interactions": row.interaction_part}
                      for row in rows]),
        hide_index=True, key="audit_reach_table",
        column_config={"part of these shares": st.column_config.NumberColumn(format="percent"),
                       "part of the interactions": st.column_config.NumberColumn(format="percent")},
    )
    in_words(summary, "audit_reach_summary")
    st.caption("Interactions per share, by network: the networks count differently, so compare a network with "
               "itself over time rather than with another.")
    st.dataframe(pd.DataFrame(network_rows(reach.by_network), columns=NETWORK_HEADERS), hide_index=True,
                 key="audit_reach_networks")
