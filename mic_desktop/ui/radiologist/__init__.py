"""The reporting doctors' window: studies awaiting a report (the report editor follows)."""
