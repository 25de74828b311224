"""The router: st.navigation over the pages, with deep links. Nothing else lives here."""

import streamlit as st

from amplify.ui import context
from amplify.ui.pages import audit, sources, today


def main() -> None:
    st.set_page_config(page_title="amplify", layout="wide")
    pages = [
        st.Page(today.render, title="Today", url_path="today", default=True),
        st.Page(sources.render, title="Sources", url_path="sources"),
        st.Page(audit.render, title="Audit", url_path="audit"),
    ]
    context.register_pages(pages)
    with context.bound_store():
        st.navigation(pages).run()
