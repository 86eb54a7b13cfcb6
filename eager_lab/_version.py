"""The package version (read by hatch, the protocol and ``--version``)."""
__version__ = "0.1.0"
