"""Radiology reports: the worklist and claiming a scan, drafts, finalising (signed and
locked), review, addenda, attached-PDF checks, the report access log and critical
findings.

A final report is never edited: corrections are addenda. Every view, download, print
or export of a report PDF is written to the access log (:mod:`.access_log`).
"""
