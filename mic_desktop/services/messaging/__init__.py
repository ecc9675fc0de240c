"""What the clinic tells patients and doctors, and how it gets there exactly once.

Message texts are templates (:mod:`.templates`, edited by the manager in
:mod:`.template_editor`). The clinic's rules call the hooks in :mod:`.notifications`,
which render a template and queue it (:mod:`.compose`) in the outbox
(:mod:`.outbox`, ``ON CONFLICT (idempotency_key) DO NOTHING``); reminders come due
with time (:mod:`.reminders`). The dispatcher (:mod:`.dispatcher`) claims due rows
with ``FOR UPDATE SKIP LOCKED`` (:mod:`.claiming`; rows no longer worth sending,
:mod:`.stale`, are cancelled) under short leases (:mod:`.leases`) and sends them
(:mod:`.sending`) through Twilio (:mod:`.sms`) or SMTP (:mod:`.email`), respecting
quiet hours (:mod:`.quiet_hours`), then follows each SMS's delivery
(:mod:`.delivery`). A message the provider may have is never sent again blindly.
Patients' replies are fetched from Twilio (:mod:`.replies`), each stored once and
acted on once (:mod:`.reply_actions`), and read at the desk (:mod:`.reply_inbox`);
booking e-mails carry the appointment as a calendar event (:mod:`.calendar`).
Credentials and the test message live in :mod:`.setup`.
"""
