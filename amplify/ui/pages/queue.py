"""Queue: the drafts waiting to be shared, in the user's order, each with its composer and checklist."""

import streamlit as st

from amplify.ui import composer, context


def render() -> None:
    store = context.store()
    st.title("Queue")
    composer.show_notice()
    composer.show_toast()
    drafts = store.drafts()
    if not drafts:
        st.info(
            "Nothing is queued. On Today, press Queue on a post you want to amplify: its draft waits here, "
            "ready to write."
        )
        return
    follow_list = context.follow_list()
    if follow_list.error:
        st.warning(f"{follow_list.error} Using the default networks and instance until it is fixed.")
    st.caption(
        f"{len(drafts)} {'draft' if len(drafts) == 1 else 'drafts'} waiting, the next one first. Every "
        "change is saved as you make it."
    )
    for index, draft in enumerate(drafts):
        with st.container(border=True, key=f"draft_{draft.id}"):
            composer.draft_card(store, draft, follow_list.follow_list.settings, first=index == 0,
                                last=index == len(drafts) - 1)
