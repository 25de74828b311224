"""The router: st.navigation over the pages, with deep links. Nothing else lives here."""

import streamlit as st

from amplify.ui import context
from amplify.ui.pages import audit, history, queue, sources, today


def main() -> None:
    st.set_page_config(page_title="amplify", layout="wide")
    pages = [
        st.Page(today.render, title="Today", url_path="today", default=True),
        st.Page(queue.render, title="Queue", url_path="queue"),
        st.Page(sources.render, title="Sources", url_path="sources"),
        st.Page(history.render, title="History", url_path="history"),
        st.Page(audit.render, title="Audit", url_path="audit"),
    ]
    context.register_pages(pages)
    with context.bound_store():
        st.navigation(pages).run()
