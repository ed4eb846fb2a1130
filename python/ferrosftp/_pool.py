"""A per-process pool of SSH connections, and of idle SFTP channels on each,
for the fsspec filesystem (``ferrosftp.fsspec``).

fsspec makes one filesystem object per set of arguments *and per thread*;
without a pool each would hold its own connection. Here every object whose
settings make connections interchangeable (``key_of``) shares one
:class:`Connection`: one SSH connection, one shared SFTP channel for
one-off calls, and a few idle extra channels that concurrent work (many-file
``put``/``get``, ``cat_ranges`` across files) borrows and gives back instead
of opening and closing channels per call.

Entries are keyed by the process id too, and forgotten in a forked child:
a libssh2 session is never used by two processes (ferrosftp's own atfork
handler has already cut the child's copy of every socket off).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from contextlib import contextmanager
from typing import Callable, Dict, List, Sequence

log = logging.getLogger("ferrosftp.fsspec")

#: Idle extra channels kept per connection; more are closed when given back
#: (sshd's MaxSessions, 10 by default, counts every channel of a connection).
MAX_IDLE_CHANNELS = 6


def _digest(secret) -> object:
    """A secret as part of a key without keeping it readable in the key."""
    if secret is None:
        return None
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hashlib.sha256(b"ferrosftp-pool\0" + raw).hexdigest()


def key_of(connector, timeout) -> tuple:
    """What must be equal for two filesystems to share a connection.

    - host, port, user, and the route (ProxyCommand line or ProxyJump hops):
      another route may reach another machine under the same name;
    - the credentials (key files, password and passphrase as digests, agent,
      default keys): a filesystem whose own credentials would be refused must
      not ride on a connection that someone else's authenticated;
    - the host-key rules (known_hosts files, accept-new): a connection whose
      key was accepted under laxer rules must not serve a stricter caller;
    - the timeout: it is the connection's own (connect, channel opens) and
      every channel's, so callers with different timeouts cannot share.
    """
    via = connector.via
    if isinstance(via, (list, tuple)):
        route = tuple(key_of(hop, hop.timeout) for hop in via)
    else:
        route = via
    return (
        connector.host,
        int(connector.port),
        connector.user,
        route,
        tuple(connector.key_files),
        _digest(connector.password),
        _digest(connector.passphrase),
        bool(connector.allow_agent),
        bool(connector.look_for_keys),
        tuple(connector.known_hosts or ()),
        bool(connector.accept_new),
        timeout,
    )


class Connection:
    """One pooled SSH connection: ``client`` (an SSHClient), ``sftp`` (its
    shared SFTP channel) and idle extra channels (``borrow``/``give_back``)."""

    def __init__(self, client, connector, timeout) -> None:
        self.client = client
        self.connector = connector  # keeps ProxyJump hops' connections alive
        self.timeout = timeout
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._idle: List = []
        self._sftp = None

    def __repr__(self) -> str:
        return "<ferrosftp pooled connection {} ({})>".format(self.connector.label, "alive" if self.alive() else "dead")

    def alive(self) -> bool:
        transport = self.client.get_transport()
        return self.pid == os.getpid() and transport is not None and transport.is_active()

    def _open_channel(self):
        sftp = self.client.open_sftp()
        sftp.get_channel().settimeout(self.timeout)
        return sftp

    @property
    def sftp(self):
        """The shared channel for one-off calls (thread-safe: requests of
        several threads are pipelined on it); reopened if it was closed."""
        with self._lock:
            sftp = self._sftp
        if sftp is not None and not sftp.get_channel().closed:
            return sftp
        fresh = self._open_channel()
        with self._lock:
            if self._sftp is sftp:
                self._sftp, fresh = fresh, None
            sftp = self._sftp
        if fresh is not None:  # another thread reopened it first
            fresh.close()
        return sftp

    def borrow(self):
        """An SFTP channel of its own for the caller: an idle one, or a new one."""
        with self._lock:
            while self._idle:
                sftp = self._idle.pop()
                if not sftp.get_channel().closed:
                    return sftp
        return self._open_channel()

    def give_back(self, sftp, reusable: bool = True) -> None:
        """Return a borrowed channel: kept idle if it can serve again, else closed."""
        if reusable and self.alive() and not sftp.get_channel().closed:
            with self._lock:
                if len(self._idle) < MAX_IDLE_CHANNELS:
                    self._idle.append(sftp)
                    return
        _close_quietly(sftp)

    @contextmanager
    def channel(self):
        """``with conn.channel() as sftp:`` a borrowed channel, given back after
        (closed instead if the block raised: it may be mid-request)."""
        sftp = self.borrow()
        reusable = False
        try:
            yield sftp
            reusable = True
        finally:
            self.give_back(sftp, reusable)

    def map(self, fn: Callable, items: Sequence, workers: int) -> List:
        """``fn(sftp, item)`` for every item, over up to ``workers`` borrowed
        channels at once (one thread each, this thread one of them).
        Returns the results in the order of ``items``; an exception ``fn``
        raises is the result of its item."""
        items = list(items)
        results: List = [None] * len(items)
        pending = iter(range(len(items)))
        lock = threading.Lock()
        stopped = threading.Event()

        def work(sftp) -> bool:
            """Items until none is left; False if one raised (the channel may be mid-request)."""
            clean = True
            while not stopped.is_set():
                with lock:
                    i = next(pending, None)
                if i is None:
                    break
                try:
                    results[i] = fn(sftp, items[i])
                except Exception as e:  # noqa: BLE001 - the item's result
                    results[i] = e
                    clean = False
            return clean

        def helper():
            try:
                sftp = self.borrow()
            except Exception as e:  # noqa: BLE001 - the other threads take its items
                log.warning("Could not open an extra SFTP channel (%s); continuing with fewer", e)
                return
            clean = False
            try:
                clean = work(sftp)
            finally:
                self.give_back(sftp, clean)

        threads = [
            threading.Thread(target=helper, daemon=True, name="ferrosftp-fsspec-%d" % n)
            for n in range(1, max(1, min(int(workers), len(items))))
        ]
        for t in threads:
            t.start()
        try:
            try:
                own = self.borrow()
            except Exception:  # noqa: BLE001 - no channel to spare: the shared one
                work(self.sftp)
            else:
                clean = False
                try:
                    clean = work(own)
                finally:
                    self.give_back(own, clean)
        except BaseException:
            stopped.set()  # Ctrl-C: no item starts after this
            raise
        finally:
            for t in threads:
                t.join()
        return results

    def close(self) -> None:
        with self._lock:
            channels, self._idle = self._idle + [self._sftp], []
            self._sftp = None
        for sftp in channels:
            if sftp is not None:
                _close_quietly(sftp)
        self.client.close()


def _close_quietly(sftp) -> None:
    try:
        sftp.close()
    except Exception:  # noqa: BLE001 - closing a channel of a dead connection
        pass


class Pool:
    """Connections by (process id, ``key_of``); a dead one is replaced when
    it is next asked for."""

    def __init__(self) -> None:
        self._forget()

    def _forget(self) -> None:
        """A fresh, empty pool (in a forked child: the parent's entries, and
        a lock some parent thread may have held at the fork, are not ours)."""
        self._lock = threading.Lock()
        self._connections: Dict[tuple, Connection] = {}
        self._connecting: Dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, connector, timeout) -> Connection:
        """The live connection for ``key`` in this process, connected with
        ``connector`` if there is none (one thread connects, the others wait)."""
        key = (os.getpid(),) + tuple(key)
        conn = self._connections.get(key)
        if conn is not None and conn.alive():
            return conn
        with self._lock:
            connecting = self._connecting.setdefault(key, threading.Lock())
        with connecting:
            conn = self._connections.get(key)
            if conn is not None and conn.alive():
                return conn
            if conn is not None:
                log.info("Connection to %s found dead; connecting anew", connector.label)
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - it is dead already
                    pass
            conn = Connection(connector.client(), connector, timeout)
            with self._lock:
                self._connections[key] = conn
            return conn

    def close_all(self) -> None:
        """Close every connection of this process (tests; long-lived programs
        that want their connections back)."""
        with self._lock:
            conns, self._connections = list(self._connections.values()), {}
        for conn in conns:
            if conn.pid == os.getpid():
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass


POOL = Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=POOL._forget)
