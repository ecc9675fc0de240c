"""Qt only: the windows of each role, dialogs, widgets and Qt item models.

Widgets never open a database session: they call services through
:func:`mic_desktop.ui.common.tasks.run_task`, off the GUI thread.
"""
