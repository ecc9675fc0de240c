"""Exceptions the services raise; each carries a message fit to show a person."""

from __future__ import annotations


class ServiceError(Exception):
    """A clinic rule refused the request; ``str(error)`` is the message for the UI."""


class ValidationError(ServiceError):
    """Input is wrong; ``field`` names the field the message belongs next to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(ServiceError):
    pass


class AuthenticationError(ServiceError):
    """Wrong username or password (never says which)."""

    def __init__(self, message: str = "Wrong username or password.") -> None:
        super().__init__(message)


class AccountLockedError(AuthenticationError):
    pass


class AccountDisabledError(AuthenticationError):
    pass


class PermissionDeniedError(ServiceError):
    pass


class StaleRecordError(ServiceError):
    """Someone else saved the record first; reload before saving again."""


class SlotTakenError(ServiceError):
    def __init__(self, message: str = "This slot was just taken. Please choose another.") -> None:
        super().__init__(message)
