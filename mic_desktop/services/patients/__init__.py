"""Patients: registration and edits, search-as-you-type, contact details (phone numbers
in E.164, e-mail addresses), possible duplicates, the patient panel, and feedback after
a completed visit.

The rest of the program uses :class:`~.registry.PatientService` (with the shapes it
hands out in :mod:`.details` and :mod:`.panel`), :mod:`.contact_details` and
:class:`~.feedback.FeedbackService`.
"""
