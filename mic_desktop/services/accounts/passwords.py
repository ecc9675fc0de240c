"""What a staff password must be; PostgreSQL keeps it (as a SCRAM verifier) and checks it."""

from __future__ import annotations

from mic_desktop.services.errors import ValidationError

MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", "password"
        )
    if password.strip() != password:
        raise ValidationError("The password must not start or end with a space.", "password")
