"""The practice manager's window: this month's key figures (charts and admin follow)."""
