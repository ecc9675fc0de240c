"""Allows ``python -m mic_desktop``."""

from mic_desktop.cli import main

raise SystemExit(main())
