//! A session channel: exec, subsystem, pty, and byte streams with timeouts.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::{Error, Result};
use crate::session::{check_timeout, deadline, Shared};

/// The most one read hands back (paramiko's recv returns at most what it has).
const MAX_READ: usize = 1 << 20;

fn io_to_error(e: std::io::Error) -> Error {
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
        Error::Ssh(msg) if msg.to_lowercase().contains("channel open failure") || msg.contains("prohibited") => {
            Error::ChannelOpen { code: 1, text: msg }
        }
        other => other,
    }
}

#[pyclass(module = "ferrosftp._native", frozen)]
pub struct Channel {
    shared: Arc<Shared>,
    chan: Mutex<Option<ssh2::Channel>>,
    timeout: Mutex<Option<f64>>,
}

impl Channel {
    fn wrap(shared: &Arc<Shared>, chan: ssh2::Channel) -> Channel {
        Channel { shared: shared.clone(), chan: Mutex::new(Some(chan)), timeout: Mutex::new(None) }
    }

    pub fn open_session(py: Python<'_>, shared: &Arc<Shared>, timeout: Option<f64>) -> PyResult<Channel> {
        let until = deadline(timeout);
        let chan = py.detach(|| shared.run(until, || Ok(shared.sess.channel_session()?))).map_err(open_error)?;
        Ok(Channel::wrap(shared, chan))
    }

    pub fn open_direct_tcpip(py: Python<'_>, shared: &Arc<Shared>, host: &str, port: u16, timeout: Option<f64>) -> PyResult<Channel> {
        let until = deadline(timeout);
        let chan = py
            .detach(|| shared.run(until, || Ok(shared.sess.channel_direct_tcpip(host, port, None)?)))
            .map_err(open_error)?;
        Ok(Channel::wrap(shared, chan))
    }

    /// Run `f` on the channel with the GIL released and the channel's timeout.
    fn with<T: Send>(&self, py: Python<'_>, mut f: impl FnMut(&mut ssh2::Channel) -> Result<T> + Send) -> PyResult<T> {
        let until = deadline(*self.timeout.lock().unwrap_or_else(|p| p.into_inner()));
        py.detach(|| {
            let mut guard = self.chan.lock().unwrap_or_else(|p| p.into_inner());
            let chan = guard.as_mut().ok_or_else(|| Error::Ssh("Channel is closed".into()))?;
            self.shared.run(until, || f(chan))
        })
        .map_err(PyErr::from)
    }
}

#[pymethods]
impl Channel {
    fn exec(&self, py: Python<'_>, command: Vec<u8>) -> PyResult<()> {
        let cmd = String::from_utf8_lossy(&command).into_owned();
        self.with(py, |c| Ok(c.exec(&cmd)?))
    }

    fn subsystem(&self, py: Python<'_>, name: String) -> PyResult<()> {
        self.with(py, |c| Ok(c.subsystem(&name)?))
    }

    fn shell(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |c| Ok(c.shell()?))
    }

    fn request_pty(&self, py: Python<'_>, term: String, width: u32, height: u32, width_px: u32, height_px: u32) -> PyResult<()> {
        self.with(py, |c| Ok(c.request_pty(&term, None, Some((width, height, width_px, height_px)))?))
    }

    fn resize_pty(&self, py: Python<'_>, width: u32, height: u32, width_px: u32, height_px: u32) -> PyResult<()> {
        self.with(py, |c| Ok(c.request_pty_size(width, height, Some(width_px), Some(height_px))?))
    }

    fn setenv(&self, py: Python<'_>, name: String, value: String) -> PyResult<()> {
        self.with(py, |c| Ok(c.setenv(&name, &value)?))
            .map_err(|_| Error::Ssh(format!("Server refused to set environment variable {name}")).into())
    }

    /// Deliver stderr on the stdout stream (paramiko's set_combine_stderr).
    fn merge_stderr(&self, py: Python<'_>, merge: bool) -> PyResult<()> {
        let mode = if merge { ssh2::ExtendedData::Merge } else { ssh2::ExtendedData::Normal };
        self.with(py, |c| Ok(c.handle_extended_data(mode)?))
    }

    #[pyo3(signature = (n, stream = 0))]
    fn read<'py>(&self, py: Python<'py>, n: usize, stream: i32) -> PyResult<Bound<'py, PyBytes>> {
        // A count is a limit, never an allocation: recv(1 << 40) returns what is there.
        let mut buf = vec![0u8; n.clamp(1, MAX_READ)];
        let got = self.with(py, |c| c.stream(stream).read(&mut buf).map_err(io_to_error))?;
        Ok(PyBytes::new(py, &buf[..got]))
    }

    /// True when a read would return at once (data buffered or EOF).
    #[pyo3(signature = (stream = 0))]
    fn ready(&self, py: Python<'_>, stream: i32) -> PyResult<bool> {
        py.detach(|| -> Result<bool> {
            let mut guard = self.chan.lock().unwrap_or_else(|p| p.into_inner());
            let Some(chan) = guard.as_mut() else { return Ok(true) };
            let _op = self.shared.lock()?;
            // A zero-length read pumps pending packets without blocking.
            let _ = chan.stream(stream).read(&mut []);
            // `available` counts bytes libssh2 holds for either stream.
            Ok(chan.eof() || chan.read_window().available > 0)
        })
        .map_err(PyErr::from)
    }

    #[pyo3(signature = (data, stream = 0))]
    fn write(&self, py: Python<'_>, data: Vec<u8>, stream: i32) -> PyResult<usize> {
        let mut sent = 0;
        self.with(py, |c| {
            while sent < data.len() {
                sent += c.stream(stream).write(&data[sent..]).map_err(io_to_error)?;
            }
            Ok(())
        })?;
        Ok(sent)
    }

    fn send_eof(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |c| Ok(c.send_eof()?))
    }

    fn eof(&self) -> bool {
        let guard = self.chan.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|c| c.eof()).unwrap_or(true)
    }

    fn exit_status_ready(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| -> Result<bool> {
            let mut guard = self.chan.lock().unwrap_or_else(|p| p.into_inner());
            let Some(chan) = guard.as_mut() else { return Ok(true) };
            let _op = self.shared.lock()?;
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
        py.detach(|| -> Result<i32> {
            let mut guard = self.chan.lock().unwrap_or_else(|p| p.into_inner());
            let Some(chan) = guard.as_mut() else { return Ok(-1) };
            self.shared.run(None, || Ok(chan.wait_eof()?))?;
            self.shared.run(None, || Ok(chan.wait_close()?))?;
            // No exit-status (killed by a signal): paramiko reports -1, not 0.
            if chan.exit_signal()?.exit_signal.is_some() {
                return Ok(-1);
            }
            Ok(chan.exit_status()?)
        })
        .map_err(PyErr::from)
    }

    fn settimeout(&self, timeout: Option<f64>) -> PyResult<()> {
        *self.timeout.lock().unwrap_or_else(|p| p.into_inner()) = check_timeout(timeout)?;
        Ok(())
    }

    fn gettimeout(&self) -> Option<f64> {
        *self.timeout.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self.chan.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut chan) = taken {
            if self.shared.is_active() {
                let until = deadline(Some(5.0));
                // Best effort: the peer may already be gone.
                let _ = py.detach(|| self.shared.run(until, || Ok(chan.close()?)));
            }
        }
        Ok(())
    }

    #[getter]
    fn closed(&self) -> bool {
        self.chan.lock().unwrap_or_else(|p| p.into_inner()).is_none()
    }
}
