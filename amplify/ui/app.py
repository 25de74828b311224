"""The router: st.navigation over the pages, with deep links. Nothing else lives here."""

import streamlit as st

from amplify.ui import context
from amplify.ui.pages import audit, today


def main() -> None:
    st.set_page_config(page_title="amplify", layout="wide")
    pages = [
        st.Page(today.render, title="Today", url_path="today", default=True),
        st.Page(audit.render, title="Audit", url_path="audit"),
    ]
    with context.bound_store():
        st.navigation(pages).run()
