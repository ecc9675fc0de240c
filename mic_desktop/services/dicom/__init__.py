"""DICOM Modality Worklist and MPPS for the clinic's scanners (pynetdicom, no Qt).

settings.py    the service's settings (PC, AE title, port, UID root) and their checks
devices.py     the scanners the service knows: AE title, room, host
worklist.py    a worklist query answered from the appointments
datasets.py    DICOM identifiers in and out: query keys to a query, an appointment to a reply
mpps.py        MPPS N-CREATE/N-SET moving the appointment through the visit-status rules
server.py      the AE (C-ECHO, C-FIND, N-CREATE, N-SET) on a port, started and stopped
echo.py        C-ECHO to a scanner or to the service, for setting up and for ``doctor``
"""
