"""What goes wrong with the follow list as a whole, or with a change to it."""

from amplify.errors import AmplifyError


class FollowListError(AmplifyError):
    """The whole follow list is unusable (missing, not YAML, wrong shape); the message says what to do."""


class SourceEditError(AmplifyError):
    """A change to feeds.yml was refused before anything was written; the message says why."""


class UnknownSource(SourceEditError):
    """No source by that name in feeds.yml."""


class DuplicateSource(SourceEditError):
    """feeds.yml already has a source by that name, or already lists that feed."""
