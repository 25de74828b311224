"""amplify: review what underrepresented creators publish, draft posts that center them, verify before sharing,
and keep an honest record of whose voices you amplify."""

__version__ = "0.1.0"
