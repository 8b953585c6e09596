"""dsctl: move data between any two stores."""

__version__ = "0.1.0"
