"""Pure protocol code: no files, sockets, clock, environment or logging.

Functions here take bytes, streams they are given, keys and ``now``; they return values or raise
:mod:`agent.errors`. ``tests/unit/test_architecture.py`` holds the rule.
"""
