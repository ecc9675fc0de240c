"""The front desk's window: today's appointments (booking and payments follow)."""
