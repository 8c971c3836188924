"""Independent pieces of work on Dask: a LocalCluster of worker processes, or an
existing scheduler; results come back in the order of the inputs.

Used by plan runs (one task per city, largest first) and by sweeps (one task
per grid point).  With one worker and no scheduler nothing is started: the
work runs in this process, so the outputs are the same bytes whatever the
number of workers (every task is a pure function of its arguments, and the
results are put back in input order before anything is written).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from citylogistics.errors import InputError, short

#: Most local worker processes a run or a sweep starts.
MAX_WORKERS = 1024


def check_workers(workers: int | None) -> None:
    """Refuse a worker count that is not a whole number from 1 to :data:`MAX_WORKERS`."""
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS
    ):
        raise InputError(f"must be a whole number from 1 to {MAX_WORKERS}, got {short(workers)}", source="--workers")


def check_scheduler(address: str, *, timeout_s: float = 5.0) -> None:
    """Refuse, before any work, a Dask scheduler address that is malformed or does not answer."""
    text = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port or parts.scheme not in ("tcp", "tls"):
        raise InputError(f"{short(address)} is not a scheduler address; give tcp://HOST:PORT", source="--scheduler")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {short(address)} ({exc.strerror or exc}); "
            "check the address or drop --scheduler",
            source="--scheduler",
        ) from None


def client(workers: int | None, scheduler: str | None):
    """A Dask client and the LocalCluster it owns (None with a remote scheduler); close both after use."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            "needs Dask, an optional part of citylogistics: pip install 'citylogistics[sweep]'",
            source="--scheduler" if scheduler else "--workers",
        ) from None

    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler ({exc}); check the address or drop --scheduler",
                source="--scheduler",
                where=scheduler,
            ) from None
    n = workers or max(1, os.cpu_count() or 1)
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    return Client(cluster), cluster


def map_ordered(
    fn: Callable[..., Any],
    items: Sequence[tuple],
    *,
    workers: int | None = 1,
    scheduler: str | None = None,
    shared: dict[str, Any] | None = None,
    on_done: Callable[[int, Any], None] | None = None,
    key: str = "task",
) -> list[Any]:
    """``[fn(*item, **shared) for item in items]``, spread over Dask workers.

    ``shared`` keyword arguments (large objects such as the regions) are sent
    to the workers once.  ``on_done(index, result)`` is called as each result
    arrives (in completion order); the returned list is in input order.  With
    ``workers == 1`` and no ``scheduler`` the calls run here, one after the other.
    An exception in a task is raised here, as it would be without Dask.
    """
    shared = dict(shared or {})
    if scheduler is None and (workers or 1) == 1:
        out = []
        for i, item in enumerate(items):
            out.append(fn(*item, **shared))
            if on_done is not None:
                on_done(i, out[-1])
        return out
    import uuid

    from dask.distributed import as_completed

    dask_client, cluster = client(workers, scheduler)
    run_id = uuid.uuid4().hex[:12]  # keys unique on a shared scheduler
    try:
        scattered = {k: dask_client.scatter(v, broadcast=True) for k, v in shared.items()}
        futures = [
            dask_client.submit(fn, *item, **scattered, key=f"{key}-{run_id}-{i}", pure=False)
            for i, item in enumerate(items)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(items)
        for fut in as_completed(futures):
            i = index[fut.key]
            results[i] = fut.result()
            if on_done is not None:
                on_done(i, results[i])
        return results
    finally:
        dask_client.close()
        if cluster is not None:
            cluster.close()
