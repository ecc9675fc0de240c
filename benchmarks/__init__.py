"""Timed scenarios on generated data; run by hand, never part of the test run."""
