"""Deliberately broken MCP peers: each breaks one rule, so that a test can show that the
conformance suite notices. They are scripts, run as child processes by the tests."""
