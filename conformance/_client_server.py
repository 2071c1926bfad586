"""The test server of a client scenario, over stdio: ``python -m conformance._client_server
SCENARIO REVISION CAPTURE_FILE``.

The suite hands the client this command line (as its TARGET) when it tests the client over
stdio; the client starts it like any stdio server. It builds the scenario's server for the
revision under test and serves it on stdin/stdout, recording every message both ways into
CAPTURE_FILE for the suite to check once the client is done.
"""

from __future__ import annotations

import sys

import anyio

from conformance._capture import Recorder, RecordingTransport
from conformance._model import client_scenarios
from mcpcore.dispatcher import Transport


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: python -m conformance._client_server SCENARIO REVISION CAPTURE_FILE\n")
        return 2
    name, revision, path = argv
    scenario = client_scenarios().get(name)
    if scenario is None or scenario.build is None:
        sys.stderr.write(f"conformance test server: no client scenario named {name!r}\n")
        return 2
    from transports.stdio import serve_stdio

    server = scenario.build(revision)
    recorder = Recorder(path)

    def wrap(transport: Transport) -> Transport:
        return RecordingTransport(transport, recorder)

    try:
        anyio.run(lambda: serve_stdio(server, wrap=wrap))
    except KeyboardInterrupt:
        return 130
    finally:
        recorder.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
