"""Money: what a scan costs and what the medical aid covers (quotes), payments and
refunds with gapless receipt numbers, balances, and medical-aid claims and shortfalls.

A payment is never edited; a refund is a new negative entry. What a patient owes is
one rule (:mod:`.balances`); claims are :mod:`.claims`. The rest of the program uses
:class:`~.pricing.PricingService` and :class:`~.payments.PaymentService` (which is
also the claims desk).
"""
