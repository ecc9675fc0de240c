"""Widgets, helpers and the look shared by the reception, radiologist and manager windows."""
