"""Loopback TCP fault-injection proxy for tests and benchmarks (standard library only).

    from ferrosftp.testing import FaultProxy

    with FaultProxy("127.0.0.1", sshd_port, latency=0.025, bandwidth=5e6) as p:
        connect_to("127.0.0.1", p.port)
        ...
        print(p.bytes_up, p.bytes_down)

Directions: "up" = client -> server, "down" = server -> client.

All fault thresholds are per connection and count bytes *forwarded* in the
given direction ("both": the sum of both directions).

* latency      one-way delay in seconds, applied as a pipelined delay line: a
               chunk read at time t is released at t + latency (no stop-and-wait),
               so throughput is not RTT-bound (up to ``buffer_limit`` in flight).
* bandwidth    bytes/s cap, per connection and direction (token pacing).
* cut_after    forward at most N bytes in ``cut_direction``, then kill the
               connection (both sockets) with ``cut_mode`` "rst" (SO_LINGER 0 +
               close -> RST) or "fin" (flush, then orderly close).
* stall_after  forward N bytes in ``stall_direction`` then stop forwarding that
               direction (sockets stay open; nothing more is read, so the
               sender sees TCP back-pressure).  "both" stalls both directions.
* stall_for    with stall_after: resume forwarding after this many seconds (a
               transient stall; nothing is lost).  None: stall for good.
* corrupt_after flip (xor 0xFF) the byte at offset N of ``corrupt_direction``.
* fault_connections  apply the faults only to the first K accepted
               connections (None = all); later connections are clean apart
               from latency/bandwidth.  Handy for reconnect tests.
* max_lifetime every connection is aborted after this many seconds (safety net
               for stalled tests; None disables).

Runtime control: ``cut_all(mode)``, ``stall_all()``, ``configure(**opts)``
(affects connections accepted afterwards), ``reset_counters()``.
The proxy only ever connects to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import collections
import socket
import struct
import threading
import time

__all__ = ["FaultProxy"]

_DIRS = ("up", "down", "both")
_LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "ip6-localhost"}
_CHUNK = 65536


class _Conn:
    """State of one proxied connection (lives on the proxy's loop)."""

    def __init__(self, proxy, cid, opts, faulty):
        self.proxy = proxy
        self.id = cid
        self.opts = opts
        self.faulty = faulty
        self.sent = {"up": 0, "down": 0}
        self.writers = {}  # "client"/"server" -> StreamWriter
        self.stalled = {"up": False, "down": False}
        self.corrupted = False
        self.stall_fired = False
        self.unstall_at = None
        self.done = asyncio.Event()
        self.tasks = []
        self.accepted_at = time.monotonic()
        self.cut_reason = None

    def counter(self, direction):
        if direction == "both":
            return self.sent["up"] + self.sent["down"]
        return self.sent[direction]

    def applies(self, fault_dir, direction):
        return fault_dir == "both" or fault_dir == direction

    async def wait_unstalled(self, direction):
        """Wait while `direction` is stalled; False if the connection ended."""
        while self.stalled[direction] and not self.done.is_set():
            if self.opts.get("stall_for") is None:
                await self.done.wait()
            else:
                await asyncio.sleep(0.02)
        return not self.done.is_set()

    def unstall(self):
        self.stalled = {"up": False, "down": False}

    def kill(self, mode="rst", reason="cut"):
        if self.done.is_set():
            return
        self.cut_reason = reason
        for w in self.writers.values():
            _close_writer(w, mode)
        self.done.set()


def _close_writer(w, mode):
    try:
        tr = w.transport
        if tr.is_closing():
            return
        if mode == "rst":
            sock = w.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            tr.abort()
        else:
            tr.close()  # flushes pending data, then FIN
    except Exception:
        pass


class FaultProxy:
    def __init__(
        self,
        target_host,
        target_port,
        *,
        latency=0.0,
        bandwidth=None,
        cut_after=None,
        cut_direction="down",
        cut_mode="rst",
        stall_after=None,
        stall_direction="down",
        stall_for=None,
        corrupt_after=None,
        corrupt_direction="down",
        fault_connections=None,
        max_lifetime=600.0,
        listen_port=0,
        buffer_limit=16 * 1024 * 1024,
    ):
        if str(target_host).strip().lower() not in _LOOPBACK_NAMES:
            raise ValueError("FaultProxy only forwards to 127.0.0.1, not %r" % (target_host,))
        self.target_host = "127.0.0.1"
        self.target_port = int(target_port)
        self.listen_port = listen_port
        self._opts = {}
        self.configure(
            latency=latency,
            bandwidth=bandwidth,
            cut_after=cut_after,
            cut_direction=cut_direction,
            cut_mode=cut_mode,
            stall_after=stall_after,
            stall_direction=stall_direction,
            stall_for=stall_for,
            corrupt_after=corrupt_after,
            corrupt_direction=corrupt_direction,
            fault_connections=fault_connections,
            max_lifetime=max_lifetime,
            buffer_limit=buffer_limit,
        )
        self.port = None
        self.host = "127.0.0.1"
        self.bytes_up = 0
        self.bytes_down = 0
        self.connections = 0  # accepted so far
        self.errors = []  # unexpected exceptions (for debugging)
        self._conns = set()
        self._loop = None
        self._thread = None
        self._server = None
        self._started = False
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- config
    def configure(self, **opts):
        """Change options for connections accepted from now on."""
        o = dict(self._opts)
        o.update(opts)
        for k in ("cut_direction", "stall_direction", "corrupt_direction"):
            if o[k] not in _DIRS:
                raise ValueError("%s must be one of %s" % (k, _DIRS))
        if o["cut_mode"] not in ("rst", "fin"):
            raise ValueError("cut_mode must be 'rst' or 'fin'")
        if o["latency"] is None or o["latency"] < 0:
            raise ValueError("latency must be >= 0")
        if o["bandwidth"] is not None and o["bandwidth"] <= 0:
            raise ValueError("bandwidth must be > 0 or None")
        self._opts = o
        return self

    def __getattr__(self, name):
        opts = self.__dict__.get("_opts")
        if opts is not None and name in opts:
            return opts[name]
        raise AttributeError(name)

    # ------------------------------------------------------------- lifecycle
    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def active_connections(self):
        return len(self._conns)

    @property
    def address(self):
        return (self.host, self.port)

    def start(self):
        with self._lock:
            if self._started:
                return self
            ready = threading.Event()
            err = []

            def run():
                loop = asyncio.new_event_loop()
                self._loop = loop
                asyncio.set_event_loop(loop)
                try:
                    self._server = loop.run_until_complete(
                        asyncio.start_server(
                            self._handle,
                            "127.0.0.1",
                            self.listen_port,
                            backlog=512,
                            reuse_address=True,
                            limit=_CHUNK * 4,
                        )
                    )
                    self.port = self._server.sockets[0].getsockname()[1]
                except BaseException as e:  # pragma: no cover
                    err.append(e)
                    ready.set()
                    loop.close()
                    return
                ready.set()
                try:
                    loop.run_forever()
                finally:
                    try:
                        pending = asyncio.all_tasks(loop)
                        for t in pending:
                            t.cancel()
                        if pending:
                            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                    finally:
                        loop.close()

            self._thread = threading.Thread(target=run, name="FaultProxy", daemon=True)
            self._thread.start()
            ready.wait(10)
            if err:
                raise err[0]
            if self.port is None:
                raise RuntimeError("FaultProxy failed to start")
            self._started = True
            return self

    def stop(self):
        with self._lock:
            if not self._started:
                return
            self._started = False
            loop = self._loop
            try:
                fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                fut.result(10)
            except Exception:
                pass
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:
                pass
            self._thread.join(10)

    async def _shutdown(self):
        if self._server is not None:
            self._server.close()
        for c in list(self._conns):
            c.kill("rst", reason="proxy stopped")
        await asyncio.sleep(0)

    # -------------------------------------------------------- runtime faults
    def _call(self, fn, *args):
        if not self._started:
            return
        done = threading.Event()

        def wrapper():
            try:
                fn(*args)
            finally:
                done.set()

        self._loop.call_soon_threadsafe(wrapper)
        done.wait(5)

    def cut_all(self, mode="rst"):
        """Kill every active connection now (RST or FIN)."""
        self._call(lambda: [c.kill(mode, reason="cut_all") for c in list(self._conns)])

    def stall_all(self, direction="both"):
        """Stop forwarding on every active connection (sockets stay open)."""

        def f():
            for c in self._conns:
                for d in ("up", "down"):
                    if direction in (d, "both"):
                        c.stalled[d] = True

        self._call(f)

    def reset_counters(self):
        self.bytes_up = 0
        self.bytes_down = 0

    # ------------------------------------------------------------ data path
    async def _handle(self, c_reader, c_writer):
        self.connections += 1
        cid = self.connections
        opts = dict(self._opts)
        fc = opts["fault_connections"]
        conn = _Conn(self, cid, opts, faulty=(fc is None or cid <= fc))
        conn.writers["client"] = c_writer
        self._conns.add(conn)
        try:
            try:
                s_reader, s_writer = await asyncio.open_connection(self.target_host, self.target_port, limit=_CHUNK * 4)
            except OSError:
                _close_writer(c_writer, "rst")
                return
            conn.writers["server"] = s_writer
            for w in (c_writer, s_writer):
                sock = w.get_extra_info("socket")
                if sock is not None:
                    try:
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    except OSError:
                        pass
            if conn.faulty:
                # thresholds of 0 take effect before any byte flows
                for d in ("up", "down"):
                    if opts["stall_after"] == 0 and conn.applies(opts["stall_direction"], d):
                        conn.stalled[d] = True
                if opts["cut_after"] == 0:
                    conn.kill(opts["cut_mode"], reason="cut_after=0")
                    return
            eofs = []
            for direction, src, dst in (("up", c_reader, s_writer), ("down", s_reader, c_writer)):
                q = collections.deque()
                cond = asyncio.Condition()
                state = {"buffered": 0, "eof": False}
                conn.tasks.append(asyncio.ensure_future(self._reader(conn, direction, src, q, cond, state)))
                wt = asyncio.ensure_future(self._writer(conn, direction, dst, q, cond, state))
                conn.tasks.append(wt)
                eofs.append(wt)
            lifetime = opts["max_lifetime"]
            both_eof = asyncio.ensure_future(asyncio.gather(*eofs, return_exceptions=True))
            killed = asyncio.ensure_future(conn.done.wait())
            await asyncio.wait({both_eof, killed}, timeout=lifetime, return_when=asyncio.FIRST_COMPLETED)
            if not conn.done.is_set():
                if both_eof.done():
                    conn.kill("fin", reason="eof")
                else:
                    conn.kill("rst", reason="max_lifetime")
            for t in conn.tasks + [both_eof, killed]:
                if not t.done():
                    t.cancel()
            await asyncio.gather(*conn.tasks, both_eof, killed, return_exceptions=True)
        except Exception as e:  # pragma: no cover - debugging aid
            self.errors.append(repr(e))
            conn.kill("rst", reason="error %r" % e)
        finally:
            conn.kill("rst", reason="handler exit")
            self._conns.discard(conn)

    async def _reader(self, conn, direction, src, q, cond, state):
        loop = asyncio.get_running_loop()
        latency = conn.opts["latency"]
        limit = conn.opts["buffer_limit"]
        try:
            while True:
                if conn.stalled[direction] and not await conn.wait_unstalled(direction):
                    return
                async with cond:
                    while state["buffered"] >= limit and not conn.done.is_set():
                        await cond.wait()
                try:
                    data = await src.read(_CHUNK)
                except (ConnectionError, OSError):
                    conn.kill("rst", reason="%s read error" % direction)
                    return
                release = loop.time() + latency
                async with cond:
                    if not data:
                        q.append((release, None))
                        cond.notify_all()
                        return
                    state["buffered"] += len(data)
                    q.append((release, data))
                    cond.notify_all()
        except asyncio.CancelledError:
            pass

    async def _writer(self, conn, direction, dst, q, cond, state):
        loop = asyncio.get_running_loop()
        o = conn.opts
        bw = o["bandwidth"]
        next_free = 0.0
        try:
            while True:
                async with cond:
                    while not q:
                        await cond.wait()
                    release, data = q.popleft()
                    if data is not None:
                        state["buffered"] -= len(data)
                    cond.notify_all()
                delay = release - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if data is None:  # half-close propagates after the delay too
                    try:
                        if dst.can_write_eof():
                            dst.write_eof()
                    except (OSError, RuntimeError):
                        pass
                    return
                pieces = self._apply_faults(conn, direction, data)
                for kind, piece in pieces:
                    if piece:
                        if bw:
                            step = max(1, min(16384, int(bw / 50)))
                            for i in range(0, len(piece), step):
                                part = piece[i : i + step]
                                now = loop.time()
                                start = max(now, next_free)
                                if start > now:
                                    await asyncio.sleep(start - now)
                                next_free = start + len(part) / bw
                                await self._send(conn, direction, dst, part)
                        else:
                            await self._send(conn, direction, dst, piece)
                    if kind == "cut":
                        try:
                            await asyncio.wait_for(dst.drain(), 5)
                        except Exception:
                            pass
                        conn.kill(o["cut_mode"], reason="cut_after")
                        return
                    if kind == "stall":
                        for d in ("up", "down"):
                            if conn.applies(o["stall_direction"], d):
                                conn.stalled[d] = True
                        if o.get("stall_for") is not None and not conn.unstall_at:
                            conn.unstall_at = loop.call_later(o["stall_for"], conn.unstall)
                    if conn.stalled[direction] and not await conn.wait_unstalled(direction):
                        return
        except (ConnectionError, OSError):
            conn.kill("rst", reason="%s write error" % direction)
        except asyncio.CancelledError:
            pass

    async def _send(self, conn, direction, dst, data):
        if conn.done.is_set():
            raise ConnectionResetError("connection killed")
        dst.write(data)
        conn.sent[direction] += len(data)
        if direction == "up":
            self.bytes_up += len(data)
        else:
            self.bytes_down += len(data)
        await dst.drain()

    def _apply_faults(self, conn, direction, data):
        """Split `data` into [(kind, bytes)] where kind is "data", "cut" or
        "stall" (the fault fires after its piece is sent)."""
        if conn.stalled[direction]:
            if conn.opts.get("stall_for") is not None:
                return [("stall", b""), ("data", data)]
            return [("stall", b"")]
        if not conn.faulty:
            return [("data", data)]
        o = conn.opts
        out = []
        # counters advance only as pieces are sent; track offsets locally
        offs = {"up": conn.sent["up"], "down": conn.sent["down"]}

        def count(fdir):
            if fdir == "both":
                return offs["up"] + offs["down"]
            return offs[fdir]

        while data:
            events = []
            if o["cut_after"] is not None and conn.applies(o["cut_direction"], direction):
                events.append((o["cut_after"] - count(o["cut_direction"]), 0, "cut"))
            if o["stall_after"] is not None and not conn.stall_fired and conn.applies(o["stall_direction"], direction):
                events.append((o["stall_after"] - count(o["stall_direction"]), 1, "stall"))
            if (
                o["corrupt_after"] is not None
                and not conn.corrupted
                and conn.applies(o["corrupt_direction"], direction)
            ):
                events.append((o["corrupt_after"] - count(o["corrupt_direction"]), 2, "corrupt"))
            events = [e for e in events if e[0] < len(data)]
            if not events:
                out.append(("data", data))
                break
            at, _, kind = min((max(0, e[0]), e[1], e[2]) for e in events)
            head, data = data[:at], data[at:]
            offs[direction] += len(head)
            if kind == "corrupt":
                conn.corrupted = True
                flipped = bytes([data[0] ^ 0xFF])
                out.append(("data", head + flipped))
                offs[direction] += 1
                data = data[1:]
                continue
            out.append((kind, head))
            if kind == "stall" and o.get("stall_for") is not None:
                conn.stall_fired = True
                continue  # transient: the rest follows once the stall ends
            break
        return out

    def __repr__(self):
        return "<FaultProxy 127.0.0.1:%s -> 127.0.0.1:%s opts=%r>" % (self.port, self.target_port, self._opts)
