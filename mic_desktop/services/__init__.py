"""The clinic's rules in plain Python: no Qt import anywhere below here."""
