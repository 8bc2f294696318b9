"""Benchmarks of lienthong-agent: figures printed next to their baselines, never test assertions.

``python -m bench`` (see :mod:`bench.run`) runs the whole suite against the sandbox and the daemon
as subprocesses, prints one table and writes ``bench/results/<timestamp>.json``. The older scripts
(``edxml_bench.py``, ``xmldsig_bench.py``, ``pdf_bench.py``, ``sandbox_bench.py``) still run
standalone for their own detailed tables.
"""
