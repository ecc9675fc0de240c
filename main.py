"""Starts MIC Desktop: ``python main.py`` is the same as ``mic-desktop``."""

from mic_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
