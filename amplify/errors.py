"""The one error family: every error a person using amplify should read derives from `AmplifyError`.

A page or a command catches `AmplifyError` and shows its message; the message always says what happened and,
where it can, what to do. Errors keep their older bases too (several are also `ValueError`s), so code that
caught those still does. This module imports nothing of amplify's, so every layer (the store included) can use it.
"""


class AmplifyError(Exception):
    """Something amplify cannot do as asked; `str()` is a plain message for the person using it."""
