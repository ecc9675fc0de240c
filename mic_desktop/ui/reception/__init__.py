"""The front desk's window: patients, the appointment book, booking, payments, slips, kiosk."""
