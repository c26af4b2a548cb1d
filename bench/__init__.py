"""Benchmarks of Shenpi: figures to read, never assertions.

Run from the repository root: `.venv/bin/python -m bench [lifecycle|workdays|list-api|all] --help`.
Every run creates its own PostgreSQL database named bench_*, generates its data, prints figures
and drops the database again (unless told to keep it). See docs/benchmarks.md.
"""
