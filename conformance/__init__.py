"""The MCP conformance suite: checks any MCP server or client against the specification.

It drives the implementation under test over stdio or Streamable HTTP through *scenarios*, each
a set of named checks that cite the spec section and revision they enforce
(``conformance._model``). ``mcpcore conformance`` is its command line (``conformance._cli``);
``conformance.everything_server`` and ``conformance.everything_client`` are the reference
implementations that pass it; ``conformance.official`` runs the official npm suite beside it.
"""
