"""Staff identities: logging in, lock-out, idle unlock and Argon2id password hashing.

The rest of the program uses :class:`~.auth.AuthService` (login, logout, unlock, change
password) and :class:`~.auth.StaffAccount`, the logged-in person every service acts as.
Adding and disabling accounts is the manager's work: :mod:`..admin.staff`.
"""
