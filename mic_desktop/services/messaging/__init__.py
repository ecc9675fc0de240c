"""What the clinic tells patients and doctors, and how it gets there exactly once.

Templates and hooks (:mod:`.notifications`) queue messages in the outbox (:mod:`.outbox`,
``ON CONFLICT (idempotency_key) DO NOTHING``); reminders come due with time
(:mod:`.reminders`); the dispatcher (:mod:`.dispatcher`) claims due rows with
``FOR UPDATE SKIP LOCKED`` and sends them through Twilio (:mod:`.sms`) or SMTP
(:mod:`.email`), respecting quiet hours (:mod:`.quiet_hours`). Credentials and the test
message live in :mod:`.setup`.
"""
