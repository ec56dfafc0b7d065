"""Benchmarks: each prints the peer or baseline measured in the same run and the ratio."""
