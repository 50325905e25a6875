"""Benchmarks of oretrace at scale (``python -m benchmarks``); not part of the test suite."""
