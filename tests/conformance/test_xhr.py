"""CPython's file tests on a rw grant over the xhr transport, against MEMFS (suite.py)."""

from .suite import *  # noqa: F403 (the fixtures and tests of suite.py)

TRANSPORT = "xhr"
