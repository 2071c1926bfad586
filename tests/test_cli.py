"""The mcpcore command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mcpcore import __version__
from mcpcore.cli import main


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "bench" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: mcpcore" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"mcpcore {__version__}"


def test_bench_lists_its_workloads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert "floor" in out and "engine-seq" in out and "engine-32" in out


def test_bench_runs_a_workload_with_its_baseline_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A tiny run: this checks the harness works end to end, not how fast anything is.
    out_file = tmp_path / "bench.json"
    args = ["bench", "--workload", "engine-seq", "--rounds", "2", "--scale", "0.005", "--json", str(out_file)]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "round trip, sequential" in table and "x floor" in table
    report = json.loads(out_file.read_text())
    assert report["environment"]["python"]
    keys = {r["key"] for r in report["results"]}
    assert keys == {"floor", "engine-seq"}  # the baseline came along
    seq = next(r for r in report["results"] if r["key"] == "engine-seq")
    assert len(seq["rates"]) == 2 and all(rate > 0 for rate in seq["rates"])
    assert len(seq["cost_ratios"]) == 2 and seq["budget"] == 6.0
    assert isinstance(seq["within_budget"], bool)


def test_bench_on_trio(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["bench", "--workload", "engine-32", "--rounds", "1", "--scale", "0.005", "--backend", "trio"])
        == 0
    )
    assert "(trio)" in capsys.readouterr().out


def test_bench_refuses_unknown_workloads_and_bad_numbers() -> None:
    with pytest.raises(SystemExit, match="unknown workload nope"):
        main(["bench", "--workload", "nope"])
    with pytest.raises(SystemExit, match="--rounds"):
        main(["bench", "--rounds", "0"])


def test_the_console_script_and_module_entry_points() -> None:
    for argv in (["-m", "mcpcore", "--help"], ["-m", "benchmarks", "--list"]):
        result = subprocess.run(
            [sys.executable, *argv], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout


def test_importing_mcpcore_is_lazy() -> None:
    # Hosts start stdio servers under a connect timeout: `import mcpcore` must not pull in
    # the engine, anyio or pydantic until something is used.
    code = (
        "import sys, mcpcore\n"
        "heavy = [m for m in ('mcpcore.dispatcher', 'anyio', 'pydantic', 'orjson') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "from mcpcore import Dispatcher\n"
        "assert 'mcpcore.dispatcher' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
