"""Run one function on several threads at once and wait for them all (thread-safety tests)."""

import threading


def run_threads(target, count: int = 8) -> None:
    """Start ``count`` threads on ``target`` and join them; ``target`` collects its own errors."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
