"""The MCP conformance suite. Not built yet: it arrives with its own issue (#6).

It will drive any MCP server or client, over stdio or Streamable HTTP, through scenarios that
cite the specification section each check enforces.
"""
