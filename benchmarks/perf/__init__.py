"""Speed benchmarks: pytest-benchmark tests and ``python -m benchmarks.perf.<name>`` scripts."""
