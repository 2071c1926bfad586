"""Transports: what carries mcpcore's messages between two peers.

* :mod:`transports.memory`: two connected endpoints in one process, for tests and embedding.

stdio and Streamable HTTP arrive with their own issues. A transport implements the small
``Transport`` protocol of :mod:`mcpcore.dispatcher` (``send``, ``run``, ``aclose``).
"""
