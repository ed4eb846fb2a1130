//! An open remote file: positioned, pipelined reads and writes with the GIL
//! released. paramiko's buffering and line semantics are Python glue
//! (sftp_file.py), which seeks before every read or write.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::client::{Attrs, Client, Handle};
use super::pipeline::{Lane, ReadAhead, WriteQueue};
use crate::error::{Error, Result};
use crate::locks::WaitLock;

#[pyclass(module = "ferrosftp._native", frozen)]
pub struct File {
    sftp: Arc<Client>,
    /// Locked for a whole call (never while Python runs); None once closed.
    state: WaitLock<Option<Open>>,
}

/// An open file's handle, the position of the next read or write, and the
/// writes still in flight (write-behind: paramiko's pipelined mode).
struct Open {
    handle: Handle,
    pos: u64,
    writes: WriteQueue,
}

impl File {
    pub fn new(sftp: Arc<Client>, handle: Handle) -> File {
        File {
            sftp,
            state: WaitLock::new(Some(Open {
                handle,
                pos: 0,
                writes: WriteQueue::default(),
            })),
        }
    }

    /// This file's handle (for requests that name two files), its writes
    /// confirmed first. Call detached.
    pub fn handle(&self) -> Result<Handle> {
        let mut guard = self.state.lock()?;
        let open = guard
            .as_mut()
            .ok_or_else(|| Error::OsMessage("File is closed".into()))?;
        open.writes.finish(Lane::main(&self.sftp))?;
        Ok(open.handle.clone())
    }

    /// `f` on the open file, after every write in flight is confirmed: a
    /// write-behind error is raised by the next call, as in paramiko.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Client, &Handle, &mut u64) -> Result<T> + Send,
    ) -> PyResult<T> {
        crate::shutdown::detach(py, || {
            let mut guard = self.state.lock()?;
            let open = guard
                .as_mut()
                .ok_or_else(|| Error::OsMessage("File is closed".into()))?;
            open.writes.finish(Lane::main(&self.sftp))?;
            f(&self.sftp, &open.handle, &mut open.pos)
        })
        .map_err(PyErr::from)
    }
}

#[pymethods]
impl File {
    /// Up to n bytes from the current position (fewer only at EOF); b'' at EOF.
    fn read<'py>(&self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyBytes>> {
        let data = self.with(py, |s, h, pos| {
            // n is a limit, never an allocation: read(1 << 40) of a small
            // file returns the file.
            let mut reads = ReadAhead::bounded(Lane::main(s), h, *pos, n as u64);
            let mut pieces = Vec::new();
            loop {
                let piece = reads.next_piece()?;
                if piece.is_empty() {
                    break;
                }
                *pos += piece.len() as u64;
                pieces.push(piece);
            }
            Ok(pieces)
        })?;
        super::transfer::joined(py, &data)
    }

    /// The data of each (offset, length), in order; shorter at EOF. All
    /// ranges are requested at once, neighbouring ones merged (readv.rs).
    fn readv<'py>(&self, py: Python<'py>, chunks: Vec<(u64, u64)>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let parts = self.with(py, |s, h, _| super::readv::readv(Lane::main(s), h, &chunks))?;
        Ok(parts.iter().map(|p| PyBytes::new(py, p)).collect())
    }

    /// Write at the position. `behind` (paramiko's pipelined mode): return
    /// once the writes are sent; an error comes with the next call or
    /// `close()`. Otherwise return once the server confirmed them.
    #[pyo3(signature = (data, behind=false))]
    fn write(&self, py: Python<'_>, data: Vec<u8>, behind: bool) -> PyResult<()> {
        let s = &*self.sftp;
        crate::shutdown::detach(py, || -> Result<()> {
            let mut guard = self.state.lock()?;
            let open = guard
                .as_mut()
                .ok_or_else(|| Error::OsMessage("File is closed".into()))?;
            let lane = Lane::main(s);
            if open.writes.is_empty() || open.writes.next != open.pos {
                open.writes.finish(lane)?; // a seek between: one run of writes at a time
                open.writes = WriteQueue::starting_at(open.pos);
            }
            let sent = open.writes.write(lane, &open.handle, &data);
            open.pos += data.len() as u64;
            sent?;
            if !behind {
                open.writes.finish(lane)?;
            }
            Ok(())
        })
        .map_err(PyErr::from)
    }

    fn seek(&self, py: Python<'_>, offset: u64) -> PyResult<()> {
        self.with(py, |_, _, pos| {
            *pos = offset;
            Ok(())
        })
    }

    fn stat(&self, py: Python<'_>) -> PyResult<Attrs> {
        self.with(py, |s, h, _| s.fstat(h))
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
        self.with(py, |s, h, _| s.fsetstat(h, &attrs))
    }

    fn fsync(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |s, h, _| s.fsync(h))
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let s = &*self.sftp;
        crate::shutdown::detach(py, || {
            let taken = self.state.lock()?.take();
            match taken {
                Some(mut open) if s.check_usable().is_ok() => {
                    // the handle is closed even when a write failed; that error wins
                    let written = open.writes.finish(Lane::main(s));
                    let closed = s.close_handle(&open.handle);
                    written.and(closed)
                }
                _ => Ok(()),
            }
        })?;
        Ok(())
    }

    #[getter]
    fn closed(&self) -> bool {
        match self.state.try_lock() {
            Some(state) => state.is_none(),
            None => false, // busy in a call: open
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // A file dropped without close(): release the server-side handle,
        // without waiting (Drop may hold the GIL).
        let taken = self.state.get_mut().take();
        if let Some(mut open) = taken {
            open.writes.forget(Lane::main(&self.sftp));
            self.sftp.close_handle_nowait(&open.handle);
        }
    }
}
