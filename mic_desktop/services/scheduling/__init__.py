"""The appointment book and its rules: rooms and opening hours, radiologists'
availability and leave, the slot finder, booking, the status moves of a visit
(confirm, check in, start, complete, no-show), cancellation with the 24-hour rule, and
the directory of referring doctors.

Double booking is refused by the database (an exclusion constraint); the services turn
the violation into a "slot taken" error.
"""
