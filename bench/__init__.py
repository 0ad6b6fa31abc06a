"""Benchmarks: data generator, load runner and report (see README.md, "Benchmarks")."""
