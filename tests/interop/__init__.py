"""Interoperability with other MCP implementations: the scripts here run in the peer's environment.

They import the peer's library, not ours, and talk to our code only over the wire; the tests
in ``tests/test_interop_*.py`` start them with the peer's interpreter and judge what they saw.
"""
