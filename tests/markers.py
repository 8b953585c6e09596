"""Skip markers shared by test modules."""

from __future__ import annotations

import os
import sys

import pytest

# dsctl splices plain-http S3 ranges into files only where splice(2) exists; elsewhere
# obstore reads them and these tests have nothing to check
needs_splice = pytest.mark.skipif(not hasattr(os, "splice") or not sys.platform.startswith("linux"),
                                  reason="splice(2) is Linux-only")
