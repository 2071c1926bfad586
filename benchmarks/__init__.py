"""Benchmarks of mcpcore: message throughput and latency, side by side with their floors.

Run them with ``mcpcore bench`` (or ``python -m benchmarks``). ``benchmarks.harness`` holds
the runner; each other module contributes workloads.
"""
