"""MIC Desktop: radiology clinic workstation (reception, reporting, management)."""

__version__ = "0.1.0"
APP_NAME = "mic-desktop"
APP_TITLE = "MIC Desktop"
