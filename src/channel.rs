//! A session channel: exec, subsystem, pty, and byte streams with timeouts.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::{Error, Result};
use crate::event_pipe::EventPipe;
use crate::locks::{Brief, WaitLock};
use crate::session::{check_timeout, deadline, Shared};

/// The most one read hands back (paramiko's recv returns at most what it has).
const MAX_READ: usize = 1 << 20;

pub(crate) fn io_to_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::WouldBlock {
        return Error::Again;
    }
    match e.get_ref().and_then(|inner| inner.downcast_ref::<ssh2::Error>()) {
        Some(ssh) => Error::from(ssh),
        None => Error::Ssh(e.to_string()),
    }
}

fn open_error(e: Error) -> Error {
    match e {
        Error::Libssh2 { code, msg } if code == crate::error::code::CHANNEL_FAILURE => {
            crate::error::channel_open_refused(&msg)
        }
        other => other,
    }
}

/// Which calls must not overlap. libssh2 keeps a channel's write state in the
/// channel, to be resumed by the same call: writes of one channel take turns.
/// Requests that wait for the server's yes or no (exec, subsystem, pty, env)
/// take turns across the whole connection: libssh2's wait for that reply
/// fails when it reads the reply meant for *another* channel's request
/// (`ssh2_packet_requirev` returns the failed match as an error), so two must
/// never wait at once. Reads keep no state: readers of stdout and stderr and
/// a writer all go on at once (paramiko's threading model).
#[derive(Clone, Copy)]
enum Kind {
    Read,
    Write,
    Request,
}

/// A channel's state, shared with the connection's watcher (watch.rs) once
/// `fileno()` was asked for.
pub struct ChannelInner {
    shared: Arc<Shared>,
    /// Locked for one libssh2 call at a time (after the session's operation lock).
    chan: WaitLock<Option<ssh2::Channel>>,
    writing: WaitLock<()>,
    timeout: Brief<Option<f64>>,
    /// Bytes taken from libssh2 to answer "is there data on this stream?"
    /// (stdout, stderr), handed out first by the next read. At most one
    /// readiness read (PEEK bytes) per stream: bounded. Locked after `chan`.
    stash: Brief<[Vec<u8>; 2]>,
    /// paramiko's pipe, made on the first `fileno()`.
    event: Brief<Option<EventPipe>>,
    /// True once `event` holds a pipe: reads of a channel nobody polls skip
    /// the pipe's upkeep without taking a lock.
    has_pipe: AtomicBool,
}

impl Drop for ChannelInner {
    fn drop(&mut self) {
        if let Some(chan) = self.chan.get_mut().take() {
            self.shared.free_channel(chan);
        }
    }
}

/// How much a readiness check takes from libssh2 at most.
const PEEK: usize = 32 << 10;

/// Index of a stream (0 stdout, anything else stderr) in the stash.
fn slot(stream: i32) -> usize {
    usize::from(stream != 0)
}

impl ChannelInner {
    /// Bring the pipe up to date: readable while there is data on either
    /// stream, EOF, or the channel is closed. Call with the session's operation
    /// lock held (this pumps libssh2), never with the channel lock.
    pub fn refresh_event(&self) {
        if !self.has_pipe.load(Ordering::SeqCst) {
            return;
        }
        let ready = self.ready_locked(0) || self.ready_locked(1);
        self.event.with(|event| {
            if let Some(pipe) = event.as_mut() {
                pipe.show(ready);
            }
        });
    }

    /// Would a read of `stream` return at once (data, EOF, closed)? Call with
    /// the session's operation lock held: this may pull data from libssh2 into
    /// the stash.
    fn ready_locked(&self, stream: i32) -> bool {
        if self.stash.with(|stash| !stash[slot(stream)].is_empty()) {
            return true;
        }
        // Only under the operation lock (so detached): a refusal means "look again".
        let Ok(mut guard) = self.chan.lock() else { return true };
        let Some(chan) = guard.as_mut() else { return true };
        let mut buf = vec![0u8; PEEK];
        match chan.stream(stream).read(&mut buf) {
            Ok(n) => {
                self.stash
                    .with(|stash| stash[slot(stream)].extend_from_slice(&buf[..n]));
                true // data, or 0 at EOF
            }
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        }
    }

    /// One try of a read: stashed bytes first, then libssh2.
    fn read_some(&self, chan: Option<&mut ssh2::Channel>, stream: i32, buf: &mut [u8]) -> Result<usize> {
        let Some(chan) = chan else { return Ok(0) };
        let stashed = self.stash.with(|stash| {
            let kept = &mut stash[slot(stream)];
            let n = buf.len().min(kept.len());
            buf[..n].copy_from_slice(&kept[..n]);
            kept.drain(..n);
            n
        });
        if stashed > 0 || buf.is_empty() {
            return Ok(stashed);
        }
        chan.stream(stream).read(buf).map_err(io_to_error)
    }

    /// Make the pipe readable (the connection is gone: reads return at once).
    pub fn show_ready(&self) {
        self.event.with(|event| {
            if let Some(pipe) = event.as_mut() {
                pipe.show(true);
            }
        });
    }

    /// Call detached.
    pub fn is_closed(&self) -> Result<bool> {
        Ok(self.chan.lock()?.is_none())
    }
}

#[pyclass(module = "ferrosftp._native", frozen)]
pub struct Channel {
    inner: Arc<ChannelInner>,
}

impl std::ops::Deref for Channel {
    type Target = ChannelInner;

    fn deref(&self) -> &ChannelInner {
        &self.inner
    }
}

impl Channel {
    pub fn wrap(shared: &Arc<Shared>, chan: ssh2::Channel) -> Channel {
        Channel {
            inner: Arc::new(ChannelInner {
                shared: shared.clone(),
                chan: WaitLock::new(Some(chan)),
                writing: WaitLock::new(()),
                timeout: Brief::new(None),
                stash: Brief::new([Vec::new(), Vec::new()]),
                event: Brief::new(None),
                has_pipe: AtomicBool::new(false),
            }),
        }
    }

    /// After a read or close: the pipe, if `fileno()` made one, follows what
    /// is left to read.
    fn refresh_event_if_polled(&self, py: Python<'_>) {
        if self.has_pipe.load(Ordering::SeqCst) {
            crate::shutdown::detach(py, || self.refresh_event_now());
        }
    }

    /// Bring the pipe up to date now (GIL released).
    fn refresh_event_now(&self) {
        match self.shared.lock() {
            Ok(_op) if self.shared.is_active() => self.refresh_event(),
            // The connection is gone: a read now returns at once.
            _ => self.show_ready(),
        }
    }

    pub fn open_session(py: Python<'_>, shared: &Arc<Shared>, timeout: Option<f64>) -> PyResult<Channel> {
        let until = deadline(timeout);
        let chan = crate::shutdown::detach(py, || {
            let _setup = shared.setup_lock();
            shared.run(until, || Ok(shared.sess.channel_session()?))
        })
        .map_err(open_error)?;
        Ok(Channel::wrap(shared, chan))
    }

    pub fn open_direct_tcpip(
        py: Python<'_>,
        shared: &Arc<Shared>,
        host: &str,
        port: u16,
        timeout: Option<f64>,
    ) -> PyResult<Channel> {
        let until = deadline(timeout);
        let chan = crate::shutdown::detach(py, || {
            let _setup = shared.setup_lock();
            shared.run(until, || Ok(shared.sess.channel_direct_tcpip(host, port, None)?))
        })
        .map_err(open_error)?;
        Ok(Channel::wrap(shared, chan))
    }

    /// Run `f` on the channel with the GIL released and the channel's timeout.
    /// The channel is locked for each try only: other threads' calls on it (of
    /// another kind) and on the connection go on while this one waits.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        kind: Kind,
        until: Option<Instant>,
        mut f: impl FnMut(Option<&mut ssh2::Channel>) -> Result<T> + Send,
    ) -> PyResult<T> {
        crate::shutdown::detach(py, || {
            let _serial = match kind {
                Kind::Read => None,
                Kind::Write => Some(self.writing.lock()?),
                Kind::Request => Some(self.shared.setup_lock()?),
            };
            self.shared.run(until, || f(self.chan.lock()?.as_mut()))
        })
        .map_err(PyErr::from)
    }

    /// As `with`, for calls that need an open channel.
    fn on_open<T: Send>(
        &self,
        py: Python<'_>,
        kind: Kind,
        mut f: impl FnMut(&mut ssh2::Channel) -> Result<T> + Send,
    ) -> PyResult<T> {
        self.with(py, kind, self.until(), |chan| {
            f(chan.ok_or_else(|| Error::Ssh("Channel is closed".into()))?)
        })
    }

    /// The deadline of a call starting now, from the channel's timeout.
    fn until(&self) -> Option<Instant> {
        deadline(self.timeout.get())
    }
}

#[pymethods]
impl Channel {
    /// The command goes out as the bytes given (paramiko sends bytes as is).
    fn exec(&self, py: Python<'_>, command: Vec<u8>) -> PyResult<()> {
        self.on_open(py, Kind::Request, |c| Ok(c.process_startup_bytes("exec", &command)?))
    }

    fn subsystem(&self, py: Python<'_>, name: String) -> PyResult<()> {
        self.on_open(py, Kind::Request, |c| Ok(c.subsystem(&name)?))
    }

    fn shell(&self, py: Python<'_>) -> PyResult<()> {
        self.on_open(py, Kind::Request, |c| Ok(c.shell()?))
    }

    fn request_pty(
        &self,
        py: Python<'_>,
        term: String,
        width: u32,
        height: u32,
        width_px: u32,
        height_px: u32,
    ) -> PyResult<()> {
        self.on_open(py, Kind::Request, |c| {
            Ok(c.request_pty(&term, None, Some((width, height, width_px, height_px)))?)
        })
    }

    fn resize_pty(&self, py: Python<'_>, width: u32, height: u32, width_px: u32, height_px: u32) -> PyResult<()> {
        self.on_open(py, Kind::Request, |c| {
            Ok(c.request_pty_size(width, height, Some(width_px), Some(height_px))?)
        })
    }

    fn setenv(&self, py: Python<'_>, name: String, value: String) -> PyResult<()> {
        self.on_open(py, Kind::Request, |c| Ok(c.setenv(&name, &value)?))
            .map_err(|_| Error::Ssh(format!("Server refused to set environment variable {name}")).into())
    }

    /// Deliver stderr on the stdout stream (paramiko's set_combine_stderr).
    fn merge_stderr(&self, py: Python<'_>, merge: bool) -> PyResult<()> {
        let mode = if merge {
            ssh2::ExtendedData::Merge
        } else {
            ssh2::ExtendedData::Normal
        };
        self.on_open(py, Kind::Request, |c| Ok(c.handle_extended_data(mode)?))
    }

    #[pyo3(signature = (n, stream = 0))]
    fn read<'py>(&self, py: Python<'py>, n: usize, stream: i32) -> PyResult<Bound<'py, PyBytes>> {
        // A count is a limit, never an allocation: recv(1 << 40) returns what is there.
        let mut buf = vec![0u8; n.clamp(1, MAX_READ)];
        // Closed by another thread meanwhile: b'' like paramiko's closed buffer.
        let got = self.with(py, Kind::Read, self.until(), |c| self.read_some(c, stream, &mut buf));
        // So is a connection we closed ourselves (paramiko's transport close
        // closes every channel's buffer); a dropped one still raises.
        let got = match got {
            Err(_) if self.shared.is_closed() => Ok(0),
            other => other,
        };
        self.refresh_event_if_polled(py);
        let got = got?;
        Ok(PyBytes::new(py, &buf[..got]))
    }

    /// True when a read would return at once (data buffered or EOF).
    #[pyo3(signature = (stream = 0))]
    fn ready(&self, py: Python<'_>, stream: i32) -> PyResult<bool> {
        crate::shutdown::detach(py, || -> Result<bool> {
            let _op = self.shared.lock()?;
            Ok(self.ready_locked(stream))
        })
        .map_err(PyErr::from)
    }

    #[pyo3(signature = (data, stream = 0))]
    fn write(&self, py: Python<'_>, data: Vec<u8>, stream: i32) -> PyResult<usize> {
        let mut sent = 0;
        self.on_open(py, Kind::Write, |c| {
            while sent < data.len() {
                sent += c.stream(stream).write(&data[sent..]).map_err(io_to_error)?;
            }
            Ok(())
        })?;
        Ok(sent)
    }

    fn send_eof(&self, py: Python<'_>) -> PyResult<()> {
        self.on_open(py, Kind::Write, |c| Ok(c.send_eof()?))
    }

    fn eof(&self, py: Python<'_>) -> PyResult<bool> {
        crate::shutdown::detach(py, || -> Result<bool> {
            // libssh2 looks through the session's packet queue: under the operation lock
            let _op = self.shared.lock();
            let guard = self.chan.lock()?;
            Ok(guard.as_ref().map(|c| c.eof()).unwrap_or(true))
        })
        .map_err(PyErr::from)
    }

    fn exit_status_ready(&self, py: Python<'_>) -> PyResult<bool> {
        crate::shutdown::detach(py, || -> Result<bool> {
            let _op = self.shared.lock()?;
            let mut guard = self.chan.lock()?;
            let Some(chan) = guard.as_mut() else { return Ok(true) };
            let _ = chan.stream(0).read(&mut []);
            if !chan.eof() {
                return Ok(false);
            }
            Ok(!matches!(chan.wait_close().map_err(Error::from), Err(Error::Again)))
        })
        .map_err(PyErr::from)
    }

    fn recv_exit_status(&self, py: Python<'_>) -> PyResult<i32> {
        // paramiko blocks here without a timeout, whatever the channel timeout is.
        // Waiting for EOF and close only reads: no turn to take.
        self.with(py, Kind::Read, None, |chan| {
            let Some(chan) = chan else { return Ok(-1) };
            // Both return at once when already done, so a retry may repeat them.
            chan.wait_eof()?;
            chan.wait_close()?;
            // No exit-status (killed by a signal): paramiko reports -1, not 0.
            if chan.exit_signal()?.exit_signal.is_some() {
                return Ok(-1);
            }
            Ok(chan.exit_status()?)
        })
    }

    fn settimeout(&self, timeout: Option<f64>) -> PyResult<()> {
        self.timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    fn gettimeout(&self) -> Option<f64> {
        self.timeout.get()
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let active = self.shared.is_active();
        crate::shutdown::detach(py, || -> Result<()> {
            let taken = self.chan.lock()?.take();
            if let Some(mut chan) = taken {
                // Send CHANNEL_CLOSE and go, as paramiko does: the server's own
                // close may wait for the command to end. Best effort: the peer
                // may already be gone.
                if active {
                    let until = deadline(Some(5.0));
                    let _ = self.shared.run(until, || self.shared.send_close(&mut chan));
                }
                self.shared.free_channel(chan);
            }
            Ok(())
        })?;
        self.refresh_event_if_polled(py);
        Ok(())
    }

    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        crate::shutdown::detach(py, || self.is_closed()).unwrap_or(false)
    }

    /// paramiko's `Channel.fileno()`: a descriptor readable exactly while a
    /// read would return at once. The connection's watcher keeps it current
    /// while nobody else reads (watch.rs).
    fn fileno(&self, py: Python<'_>) -> PyResult<i32> {
        let (fd, made) = self.event.with(|event| -> Result<(i32, bool)> {
            if let Some(pipe) = event.as_ref() {
                return Ok((pipe.fileno(), false));
            }
            let pipe = EventPipe::new()?;
            let fd = pipe.fileno();
            *event = Some(pipe);
            self.has_pipe.store(true, Ordering::SeqCst);
            Ok((fd, true))
        })?;
        if !made {
            return Ok(fd);
        }
        crate::shutdown::detach(py, || {
            self.refresh_event_now();
            crate::watch::watch(&self.shared, Arc::downgrade(&self.inner));
        });
        Ok(fd)
    }
}
