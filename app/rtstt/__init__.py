"""RTSTT: real-time speech-to-text on the desktop."""

__version__ = "0.1.0"
