"""The Post buttons beside the share intents: "Post to Mastodon" / "Post to Bluesky" and "Post at the next slot",
enabled only when the gate passes and an account is connected (else the button says what is missing); what is
scheduled and when it goes out; and settling what a crash or an unclear answer left open: once at the app's start,
and when the user asks ("Finish it now" on a post still on its way).

The decisions are `amplify.posting`'s; this module only asks and shows.
"""

from contextlib import suppress
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st

from amplify import accounts, config
from amplify.checklist import GateStatus
from amplify.clock import from_iso
from amplify.errors import AmplifyError
from amplify.networks import NAMES
from amplify.posting import POSTING_NETWORKS, connected_poster, post_now, posters, schedule_post, settle
from amplify.store import Store
from amplify.ui import context
from amplify.ui.components import escape_markdown
from amplify.ui.widget_state import TOAST_KEY, page_store


def _settings():  # noqa: ANN202 (the Settings of feeds.yml)
    return context.follow_list().follow_list.settings


def local_time(moment: str, zone: str) -> str:
    """A stored UTC time as the user reads it: "Tue 24 Nov, 09:00" in their time zone."""
    shown = from_iso(moment).astimezone(ZoneInfo(zone))
    return f"{shown:%a} {shown.day} {shown:%b}, {shown:%H:%M}"


def _refused_key(draft_id: int, network: str) -> str:
    """Where the share panel shows a refusal (under "Mark shared")."""
    return f"_refused_{draft_id}_{network}"


def _thanks(network: str, source_name: str) -> str:
    return (f"Posted to {NAMES[network]}; its link is in your History. Thank you for amplifying "
            f"{escape_markdown(source_name)}.")


def _post(draft_id: int, network: str, source_name: str) -> None:
    settings, limits = _settings(), context.fetch_limits()
    try:
        with page_store() as store:
            post_now(store, draft_id, network, connected_poster(store, network, settings=settings, limits=limits),
                     settings=settings, limits=limits)
    except AmplifyError as problem:
        st.session_state[_refused_key(draft_id, network)] = escape_markdown(str(problem))
    else:
        st.session_state[TOAST_KEY] = _thanks(network, source_name)


def _finish(draft_id: int, network: str, source_name: str) -> None:
    """Settle what is open now (a few rows at most), and say how this post ended."""
    settings, limits = _settings(), context.fetch_limits()
    with page_store() as store:
        outcomes = settle(store, posters(store, settings=settings, limits=limits), settings=settings, limits=limits)
    mine = [outcome for outcome in outcomes if (outcome.draft_id, outcome.network) == (draft_id, network)]
    if mine and mine[0].state == "recorded":
        st.session_state[TOAST_KEY] = _thanks(network, source_name)
    elif mine:
        st.session_state[_refused_key(draft_id, network)] = escape_markdown(mine[0].message)


def _schedule(draft_id: int, network: str) -> None:
    settings = _settings()
    try:
        with page_store() as store:
            schedule_post(store, draft_id, network, settings=settings)
    except AmplifyError as problem:
        st.session_state[_refused_key(draft_id, network)] = escape_markdown(str(problem))


def _unschedule(outbox_id: int) -> None:
    with page_store() as store:
        store.cancel_scheduled(outbox_id)


def post_buttons(draft_id: int, network: str, source_name: str, status: GateStatus) -> None:
    """The Post buttons for one network's post (nothing for networks amplify does not post to)."""
    if network not in POSTING_NETWORKS:
        return
    label = NAMES[network]
    settings = _settings()
    with page_store() as store:
        account = accounts.connected(store, network)
        waiting = store.open_outbox(draft_id, network)
    if waiting is not None and waiting.state == "scheduled" and waiting.scheduled_for:
        st.info(escape_markdown(f"Goes out on {label} on {local_time(waiting.scheduled_for, settings.timezone)} "
                                f"({settings.timezone}), if it still passes the checklist then."))
        st.button("Take it off the schedule", key=f"unschedule_{draft_id}_{network}", on_click=_unschedule,
                  args=(waiting.id,))
        return
    if waiting is not None:
        why = waiting.error or "the answer was not clear."
        st.warning(escape_markdown(f"On its way to {label}, not finished yet: {why} “Finish it now” checks whether "
                                   "it went out and finishes it, once (amplify also does at its next start)."))
        st.button("Finish it now", key=f"finish_{draft_id}_{network}", on_click=_finish,
                  args=(draft_id, network, source_name))
        return
    missing = ("connect an account in Settings first" if account is None
               else None if status.can_share else "finish the checklist first")
    st.button(f"Post to {label}" + (f": {missing}" if missing else f" as {account.handle}"),
              key=f"post_{draft_id}_{network}", type="primary", disabled=missing is not None,
              on_click=_post, args=(draft_id, network, source_name))
    slots = settings.schedule.get(network, ())
    st.button("Post at the next slot" + ("" if slots else ": add posting times to feeds.yml first"),
              key=f"schedule_{draft_id}_{network}", disabled=missing is not None or not slots,
              on_click=_schedule, args=(draft_id, network),
              help="Your posting times are `schedule:` under `settings:` in feeds.yml.")


def schedule_summary(store: Store) -> None:
    """When each scheduled post goes out, for the top of the Queue."""
    rows = store.outbox_rows("scheduled")
    if not rows:
        return
    zone = _settings().timezone
    lines = [f"- {NAMES.get(row.network, row.network)}: draft {row.draft_id}, "
             f"{local_time(row.scheduled_for, zone)}" for row in rows if row.scheduled_for]
    st.markdown(f"**Scheduled** ({escape_markdown(zone)})\n" + "\n".join(lines))


@st.cache_resource(show_spinner=False)
def _settled_at_start(database: str) -> datetime:
    """Once a process and database: finish what a crash left open (quietly; what stays open shows on its post)."""
    settings, limits = _settings(), context.fetch_limits()
    with Store(database) as store:
        if store.outbox_rows("pending", "sent"):
            settle(store, posters(store, settings=settings, limits=limits), settings=settings, limits=limits)
        return store.clock()


def settle_on_start() -> None:
    with suppress(AmplifyError):  # an unusable database says so on the page itself
        _settled_at_start(str(config.db_path()))
