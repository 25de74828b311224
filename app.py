"""Streamlit entry point (`amplify run`, or `streamlit run app.py`)."""

from amplify.ui.app import main

# Streamlit runs this file as __main__. Refresh's parser processes import it again under another name, and must
# not draw the app there.
if __name__ == "__main__":
    main()
