"""Secrets in the OS keyring: the clinic database password, Twilio token, SMTP password.

The ``fail`` and ``null`` backends and anything from ``keyrings.alt`` (which writes
base64 "plaintext" files) count as no keyring: callers then ask the person for the
secret and keep it in memory only.
"""

from __future__ import annotations

import contextlib

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

SERVICE = "mic-desktop"
_UNSAFE_MODULE_PREFIXES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


def backend_description(backend: KeyringBackend | None = None) -> str:
    backend = backend or keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _is_safe(backend: KeyringBackend) -> bool:
    children = getattr(backend, "backends", None)
    if children is not None:  # a chainer is as good as its members
        return any(_is_safe(child) for child in children)
    module = type(backend).__module__
    return not module.startswith(_UNSAFE_MODULE_PREFIXES)


def keyring_available() -> bool:
    """True when the OS keyring is a real, safe store."""
    return _is_safe(keyring.get_keyring())


def no_keyring_reason() -> str:
    return (
        f"No secure OS keyring is available on this PC ({backend_description()}), "
        "so the password is kept in memory until the program closes."
    )


def database_key(user: str, host: str, port: int | None, database: str) -> str:
    return f"db:{user}@{host or 'localhost'}:{port or 5432}/{database}"


def get_secret(key: str) -> str | None:
    if not keyring_available():
        return None
    try:
        return keyring.get_password(SERVICE, key)
    except keyring.errors.KeyringError:
        return None


def set_secret(key: str, value: str) -> bool:
    """Store a secret; False when there is no safe keyring to store it in."""
    if not keyring_available():
        return False
    keyring.set_password(SERVICE, key, value)
    return True


def delete_secret(key: str) -> None:
    if not keyring_available():
        return
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(SERVICE, key)
