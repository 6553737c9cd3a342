"""The package version, in one place (imported by the package face and the results writers)."""

__version__ = "0.1.0"
