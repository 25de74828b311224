"""Streamlit entry point (`amplify run`, or `streamlit run app.py`)."""

from amplify.ui.app import main

main()
