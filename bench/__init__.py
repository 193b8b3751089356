"""`make bench`: seed PostgreSQL with many realistic cases and measure cocdesk at that size (issue 15).

Never imported by the tests or the app: `python -m bench.run` (see bench/run.py).
"""
