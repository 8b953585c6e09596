"""Placeholder: filled in by its feature work."""

COMMANDS: list = []
