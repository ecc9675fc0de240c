"""Icons, the stylesheet and the logo of MIC Desktop, installed as ``mic_desktop.resources``."""
