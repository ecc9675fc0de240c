"""The manager's administration: staff accounts, clinic settings, the catalogue of scan
types and prices, medical-aid schemes and plans, the audit-log viewer and backups.

Every service here is a :class:`~mic_desktop.services.base.ManagerService`: only a manager
(or the command line, run by an administrator) may act through it, and every change is
audited in the same transaction.
"""
