"""Many files over several SFTP channels of one connection: the engine behind
pysftp's ``put_r``/``get_r``/``put_d``/``get_d``, the sync agent, the CLI and
the fsspec filesystem (``ferrosftp.batch``, an addition of ferrosftp's).

    from ferrosftp import batch
    results = batch.put_each(sftp, [("a.csv", "/in/a.csv"), ("b.csv", "/in/b.csv")])
    batch.first_error(results)   # raise the first file's failure, if any

Each channel keeps many files in flight (``src/sftp/batch.rs``). The files are
shared out over up to ``workers`` channels, one per ``FILES_PER_CHANNEL``
files, the caller's own channel first; the others are opened on the same
connection for the batch and closed after it (sshd counts them against
MaxSessions), or borrowed from a pool of idle channels and given back
(``channels=``, the fsspec filesystem's connection pool). Every file gets
its own outcome.
"""

import logging
import threading
from typing import Callable, List, Optional, Sequence

log = logging.getLogger("ferrosftp.transfer")

#: Files a channel should have to itself before another channel is opened.
FILES_PER_CHANNEL = 32


def put_each(sftp, pairs, report=None, **options) -> list:
    """Upload many ``(local, remote)`` files over the one channel of ``sftp``
    (an SFTPClient), many in flight, each to its own result: the remote
    file's SFTPAttributes, or the exception that failed it (or None: not
    tried after ``stop_at_first``). ``options``: ``expect``, ``confirm``,
    ``atomic`` (default True: a temp name, then renamed into place),
    ``times``, ``mode``, ``stop_at_first``. ``report(i, done, total,
    finished)`` follows each file."""
    return sftp._put_each(pairs, report, **options)


def get_each(sftp, pairs, report=None, **options) -> list:
    """Download many ``(remote, local)`` files over the one channel of
    ``sftp``, each to its own result (as ``put_each``). ``options``:
    ``recheck`` (SyncConflict if a file changed while read),
    ``stop_at_first``."""
    return sftp._get_each(pairs, report, **options)


def open_sibling(sftp):
    """Another SFTP channel of ``sftp``'s connection with the same remote cwd
    and timeout: what ``spread`` opens for its other shares."""
    return sftp._open_sibling()


def spread(
    sftp, items: Sequence, workers: int, move: Callable, callback: Optional[Callable] = None, channels=None
) -> List:
    """Run ``move(client, share, report)`` over shares of ``items``: the share
    on ``sftp`` (an SFTPClient) in this thread, the others each on a new SFTP
    channel of its connection in a thread of its own (``channels``: an object
    whose ``borrow()`` gives a channel and ``give_back(client, reusable)``
    takes it back, instead of opening and closing one). ``move`` returns one
    result per item of its share (SFTPAttributes, an exception, or None for
    a file not tried); an exception ``move`` raises becomes the result of
    every item of its share. ``report(i, done, total, finished)`` (``i``
    indexes the share) reaches ``callback(item_index, done, total,
    finished)``, always from this thread.

    Returns the results in the order of ``items``. An exception of the
    callback ends the batch: every file not done fails with it. Ctrl-C (any
    BaseException that is not an Exception) closes the other channels at
    once and is raised when their threads are done."""
    items = list(items)
    if int(workers) < 1:
        raise ValueError("workers must be at least 1")
    count = max(1, min(int(workers), len(items) // FILES_PER_CHANNEL))
    shares = [list(range(len(items)))[c::count] for c in range(count)]
    results: List = [None] * len(items)
    progress: List = []  # (item index, done, total, finished) from other threads
    stopped: List = []  # the callback's exception, once it raised
    opened = []  # extra channels, closed at the end (or at once when stopped)
    leftovers = []
    lock = threading.Lock()

    def stop(e):
        with lock:
            stopped.append(e)
            others = list(opened)
        for client in others:
            client.close()  # their batches end at once

    def run_share(client, indexes, local):
        def report(i, done, total, finished):
            if not local:
                with lock:
                    progress.append((indexes[i], done, total, finished))
                return
            try:
                callback(indexes[i], done, total, finished)
            except Exception as e:
                stop(e)
                raise  # ends this channel's batch

        try:
            got = move(client, [items[i] for i in indexes], report if callback is not None else None)
        except BaseException as e:  # noqa: BLE001 - becomes the share's results
            if local and not isinstance(e, Exception):
                raise
            got = [e] * len(indexes)
            clean = False
        else:
            clean = True
        for i, r in zip(indexes, got):
            results[i] = r
        return clean  # False: the channel may be left mid-request

    def worker(indexes):
        try:
            client = open_sibling(sftp) if channels is None else channels.borrow()
        except Exception as e:  # noqa: BLE001 - the caller's channel takes the share
            log.warning("Could not open an extra SFTP channel (%s); continuing with fewer", e)
            with lock:
                leftovers.extend(indexes)
            return
        with lock:
            opened.append(client)
            if stopped:
                client.close()
        clean = False
        try:
            clean = run_share(client, indexes, local=False)
        finally:
            if channels is None:
                client.close()
            else:  # a channel closed by stop() is not kept
                channels.give_back(client, clean and not stopped)

    def pass_on():
        with lock:
            pending, progress[:] = list(progress), []
        for args in pending:
            if stopped:
                return
            try:
                callback(*args)
            except Exception as e:
                stop(e)

    threads = [
        threading.Thread(target=worker, args=(share,), daemon=True, name="ferrosftp-transfer-%d" % n)
        for n, share in enumerate(shares[1:], 1)
    ]
    for t in threads:
        t.start()
    try:
        run_share(sftp, shares[0], local=True)
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.05)
            pass_on()
        pass_on()
        if leftovers and not stopped:
            run_share(sftp, sorted(leftovers), local=True)
    except BaseException:
        stop(None)
        for t in threads:
            t.join()
        raise
    if stopped:
        for i, r in enumerate(results):
            if r is None or isinstance(r, BaseException):
                results[i] = stopped[0]
    return results


def first_error(results):
    """Raise the first exception among ``results`` (put_r/get_r's rule)."""
    for r in results:
        if isinstance(r, BaseException):
            raise r
    if any(r is None for r in results):  # not reached: None only follows a failure
        raise RuntimeError("a file of the batch was not transferred")
