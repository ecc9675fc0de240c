"""Radiology reports: the worklist and claiming a scan, drafts, finalising (signed and
locked), review, addenda, attached-PDF checks, the report access log and critical
findings.

A final report is never edited: corrections are addenda. A report delivers one
document of record (:mod:`.delivery`), previewed before it is signed; an attached
PDF is checked against the patient (:mod:`.identity`). Every view, download, print
or export of a report PDF is written to the access log (:mod:`.access_log`).
"""
