"""The utilities and client-feature scenarios notice a server that breaks their rules.

Each fault of ``tests/conformance_fakes/utilities_server.py`` breaks one rule; the run must flag
the check that guards it (failed for a MUST, warned for a SHOULD), and the fake without faults
must pass them all. (The same
scenarios pass against our reference server in ``test_conformance_reference.py``.)
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from conformance._model import Status, server_scenarios
from conformance._runner import Options, ServerTarget, run_server_suite, select

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "tests" / "conformance_fakes" / "utilities_server.py"


async def _flagged(faults: str, scenarios: list[str], revision: str = "2025-06-18") -> dict[str, Status]:
    """The checks that failed or warned, with their status."""
    command = shlex.join([sys.executable, str(FAKE), faults])
    target = ServerTarget(command=command, cwd=str(ROOT), env={"PYTHONPATH": str(ROOT)})
    chosen = select(scenarios, server_scenarios())
    results = await run_server_suite(target, chosen, [revision], Options(timeout=20))
    flagged = (Status.FAILED, Status.WARNING)
    return {
        check.id: check.status for result in results for check in result.checks if check.status in flagged
    }


async def test_the_fake_without_faults_passes() -> None:
    assert await _flagged("", ["progress", "logging", "sampling"]) == {}


@pytest.mark.parametrize(
    ("fault", "scenario", "check", "status"),
    [
        ("progress-backwards", "progress", "progress/progress-increases", Status.FAILED),
        ("progress-foreign-token", "progress", "progress/token-echoed", Status.FAILED),
        # The logging page says a server SHOULD hold back what is below the level: a warning.
        ("log-ignores-level", "logging", "logging/level-filter", Status.WARNING),
        ("sampling-ungated", "sampling", "sampling/capability-gated", Status.FAILED),
    ],
)
async def test_each_fault_fails_its_check(fault: str, scenario: str, check: str, status: Status) -> None:
    assert (await _flagged(fault, [scenario])).get(check) is status
