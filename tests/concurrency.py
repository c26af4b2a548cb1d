"""Races for the PostgreSQL row-lock tests: calls released together, each in its own thread and connection."""

from __future__ import annotations

import threading

from django.db import connection


def race(*calls) -> list:
    """Run the calls at the same moment; their results, or the exceptions they raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting: deadlock?"
    return results
