//! An open remote file: positioned reads and pipelined writes, GIL released.
//! paramiko's buffering and line semantics are Python glue (sftp_file.py).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::raw::{Attrs, Handle, SftpShared};
use super::transfer::WriteWindow;
use crate::error::{Error, Result};

#[pyclass(module = "ferrosftp._native", frozen)]
pub struct File {
    sftp: Arc<SftpShared>,
    handle: Mutex<Option<Handle>>,
    /// Size of the next read request. libssh2 reads ahead 4x the request, so a
    /// first 4 MiB read of a 4 KiB file would ask for 16 MiB: start small and
    /// double on each sequential read, like TCP slow start; a seek resets it.
    ramp: AtomicUsize,
}

const RAMP_START: usize = 32 << 10;
const RAMP_MAX: usize = 2 << 20;

impl File {
    pub fn new(sftp: Arc<SftpShared>, handle: Handle, _flags: u32) -> File {
        File { sftp, handle: Mutex::new(Some(handle)), ramp: AtomicUsize::new(RAMP_START) }
    }

    fn with<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&SftpShared, &Handle) -> Result<T> + Send) -> PyResult<T> {
        crate::shutdown::detach(py, || {
            let guard = self.handle.lock().unwrap_or_else(|p| p.into_inner());
            let handle = guard.as_ref().ok_or_else(|| Error::OsMessage("File is closed".into()))?;
            let _stream = self.sftp.stream.acquire()?;
            f(&self.sftp, handle)
        })
        .map_err(PyErr::from)
    }
}

#[pymethods]
impl File {
    /// Up to n bytes from the current position (fewer only at EOF); b'' at EOF.
    fn read<'py>(&self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyBytes>> {
        let data = self.with(py, |s, h| {
            // The buffer grows with what arrives: n is a limit, never an
            // allocation (read(1 << 40) of a small file returns the file).
            let mut buf = Vec::new();
            let mut filled = 0;
            while filled < n {
                let ramp = self.ramp.load(Ordering::Relaxed);
                let end = filled + ramp.min(n - filled);
                buf.resize(end, 0);
                let got = s.run(|| s.read(h, &mut buf[filled..end]))?;
                if got == 0 {
                    break;
                }
                filled += got;
                self.ramp.store((ramp * 2).min(RAMP_MAX), Ordering::Relaxed);
            }
            buf.truncate(filled);
            Ok(buf)
        })?;
        Ok(PyBytes::new(py, &data))
    }

    fn write(&self, py: Python<'_>, data: Vec<u8>) -> PyResult<()> {
        self.with(py, |s, h| {
            // Reads leave libssh2 read-ahead requests in flight, which move the
            // handle's send offset past the read position; libssh2 would then take
            // our bytes as already sent. Re-seeking to the position flushes them.
            s.run(|| {
                let pos = s.tell(h)?;
                s.seek(h, pos)
            })?;
            let mut window = WriteWindow::new(data.len().max(1));
            window.extend(&data);
            window.drain_all(s, h)
        })
    }

    fn seek(&self, py: Python<'_>, offset: u64) -> PyResult<()> {
        // Seeking discards libssh2's read-ahead; hold the session lock for it.
        self.ramp.store(RAMP_START, Ordering::Relaxed);
        self.with(py, |s, h| s.run(|| s.seek(h, offset)))
    }

    fn tell(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |s, h| s.run(|| s.tell(h)))
    }

    fn stat(&self, py: Python<'_>) -> PyResult<Attrs> {
        self.with(py, |s, h| s.run(|| s.fstat(h)))
    }

    #[pyo3(signature = (size=None, uid=None, gid=None, mode=None, atime=None, mtime=None))]
    #[allow(clippy::too_many_arguments)]
    fn setstat(
        &self,
        py: Python<'_>,
        size: Option<u64>,
        uid: Option<u32>,
        gid: Option<u32>,
        mode: Option<u32>,
        atime: Option<u64>,
        mtime: Option<u64>,
    ) -> PyResult<()> {
        let attrs = (size, uid, gid, mode, atime, mtime);
        self.with(py, |s, h| s.run(|| s.fsetstat(h, &attrs)))
    }

    fn fsync(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |s, h| s.run(|| s.fsync(h)))
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self.handle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = taken {
            let s = &*self.sftp;
            if s.check_usable().is_ok() {
                crate::shutdown::detach(py, || {
                    let _stream = s.stream.acquire()?;
                    s.run(|| s.close_handle(&handle))
                })?;
            }
        }
        Ok(())
    }

    #[getter]
    fn closed(&self) -> bool {
        self.handle.lock().unwrap_or_else(|p| p.into_inner()).is_none()
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // A file dropped without close(): release the server-side handle, briefly.
        let taken = self.handle.get_mut().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = taken {
            self.sftp.close_handle_nowait(&handle);
        }
    }
}
