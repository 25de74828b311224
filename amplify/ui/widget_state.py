"""How the Queue's widgets meet the database: callbacks write through `write` (a refusal is kept and shown at the
top of the page by `show_notice`), widgets are filled from the database by `sync`, and what a share did is said once
by `show_toast`. Shared by the composer and the checklist panel beside it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from amplify.display import without_direction_controls
from amplify.errors import AmplifyError
from amplify.store import Store
from amplify.types import Draft
from amplify.ui import context
from amplify.ui.components import escape_markdown

NOTICE_KEY = "queue_notice"
TOAST_KEY = "queue_toast"


@contextmanager
def page_store() -> Iterator[Store]:
    """The store bound for this script run, or one of its own (callbacks and fragment reruns run outside)."""
    try:
        bound = context.store()
    except LookupError:
        with context.open_store() as opened:
            yield opened
        return
    yield bound


def write(action: Callable[[Store], object]) -> None:
    """Run one change from a widget callback; a refusal is kept and shown at the top of the page."""
    try:
        with page_store() as store:
            action(store)
    except AmplifyError as refusal:
        st.session_state[NOTICE_KEY] = str(refusal)  # StoreError: a full disk, a read-only or tampered file


def show_notice() -> None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.error(escape_markdown(notice))  # it may quote what the user typed


def show_toast() -> None:
    message = st.session_state.pop(TOAST_KEY, None)
    if message:
        st.toast(message)


def sync(key: str, value: object, version_key: str | None = None, version: object = None) -> None:
    """Show the database's value in a widget. With a version, only when the stored value changed since this
    session last showed it (another tab, a template), so an edit in flight is never overwritten."""
    if version_key is None:
        st.session_state[key] = value
    elif st.session_state.get(version_key) != version or key not in st.session_state:
        st.session_state[key] = value
        st.session_state[version_key] = version


def item_url(draft: Draft) -> str:
    """The item's address as it is shown, posted, probed and checked: without direction controls."""
    return without_direction_controls(draft.item_url)
