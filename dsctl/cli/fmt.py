"""Small formatting helpers shared by commands (no rich import here: ls stays fast)."""

from __future__ import annotations

import re

import click

from ..errors import printable

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2,
          "mib": 1024**2, "g": 1024**3, "gb": 1000**3, "gib": 1024**3}


def one_line(name: str) -> str:
    """A name as it appears inside a message line: a newline in a file or key name would
    split the line (`copied a` / `b -> …`), an escape sequence drive the terminal;
    shown as errors show them."""
    return printable(name)


def human(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class ByteSize(click.ParamType):
    """A size like 8M, 64MiB, 1G or 1048576."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
        if not m or m.group(2).lower() not in _UNITS:
            self.fail(f"{value!r} is not a size like 8M or 64MiB", param, ctx)
        return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
