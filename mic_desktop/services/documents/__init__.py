"""The clinic's printed documents, rendered with reportlab into bytes: the shared
letterhead (fonts, styles, page numbers), receipts, appointment slips, the day sheet and
the radiology report.

Renderers take plain data (frozen dataclasses) and return PDF bytes; reading what goes
on a document happens in the capability that owns it.
"""
