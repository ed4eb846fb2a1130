//! The SFTP client, our own SFTP v3 over a libssh2 channel: the wire format
//! in `proto.rs`, requests and replies in `conn.rs`, the operations in
//! `client.rs`, pipelined reads and writes in `pipeline.rs`, open files in
//! `file.rs`, the get/put engine in `transfer.rs`. The paramiko-shaped class
//! is Python glue.

pub mod batch;
pub mod client;
pub mod conn;
pub mod file;
pub mod parallel;
pub mod pipeline;
pub mod proto;
pub mod readv;
pub mod transfer;

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::{Error, Result};
use crate::session::{check_timeout, deadline, Shared};
use client::{Attrs, Client, Entry};
use file::File;

#[pyclass(module = "ferrosftp._native", frozen)]
pub struct Sftp {
    pub inner: Arc<Client>,
}

impl Sftp {
    pub fn start(py: Python<'_>, session: &Arc<Shared>, timeout: Option<f64>) -> PyResult<Sftp> {
        let until = deadline(timeout);
        let inner = crate::shutdown::detach(py, || Client::init(session, until))?;
        Ok(Sftp { inner: Arc::new(inner) })
    }

    /// Run one operation with the GIL released.
    fn call<T: Send>(&self, py: Python<'_>, f: impl FnOnce(&Client) -> Result<T> + Send) -> PyResult<T> {
        let s = &*self.inner;
        crate::shutdown::detach(py, || f(s)).map_err(PyErr::from)
    }
}

/// A batch's progress report calling `callback(index, done, total, finished)`.
fn reporter(callback: Option<Py<PyAny>>) -> Option<impl FnMut(Python<'_>, usize, u64, u64, bool) -> Result<()> + Send> {
    callback.map(|cb| {
        move |py: Python<'_>, i: usize, done: u64, total: u64, finished: bool| -> Result<()> {
            cb.call1(py, (i, done, total, finished))?;
            Ok(())
        }
    })
}

/// A batch's outcomes for Python: per file attributes / exception / None,
/// and the exception that ended it early (or None).
fn outcomes_to_py(py: Python<'_>, outcomes: batch::Outcomes) -> PyResult<(Vec<Py<PyAny>>, Py<PyAny>)> {
    let mut files = Vec::with_capacity(outcomes.files.len());
    for outcome in outcomes.files {
        files.push(match outcome {
            None => py.None(),
            Some(Ok(attrs)) => client::attrs_to_tuple(&attrs).into_pyobject(py)?.into_any().unbind(),
            Some(Err(e)) => PyErr::from(e).into_value(py).into_any(),
        });
    }
    let ended_by = match outcomes.ended_by {
        None => py.None(),
        Some(e) => PyErr::from(e).into_value(py).into_any(),
    };
    Ok((files, ended_by))
}

/// List a directory: (name, longname, attrs) without '.' and '..'.
pub fn listdir(s: &Client, path: &[u8]) -> Result<Vec<Entry>> {
    let handle = s.opendir(path)?;
    let mut entries = Vec::new();
    let result = loop {
        match s.readdir(&handle) {
            Ok(batch) if batch.is_empty() => break Ok(entries),
            Ok(batch) => entries.extend(batch.into_iter().filter(|(n, _, _)| n != b"." && n != b"..")),
            Err(e) => break Err(e),
        }
    };
    let closed = s.close_handle(&handle);
    let entries = result?;
    closed?;
    Ok(entries)
}

#[pymethods]
impl Sftp {
    fn stat(&self, py: Python<'_>, path: Vec<u8>) -> PyResult<Attrs> {
        self.call(py, |s| s.stat(&path, true))
    }

    fn lstat(&self, py: Python<'_>, path: Vec<u8>) -> PyResult<Attrs> {
        self.call(py, |s| s.stat(&path, false))
    }

    /// `follow_symlinks=False`: on a link itself (`lsetstat@openssh.com`).
    #[pyo3(signature = (path, size=None, uid=None, gid=None, mode=None, atime=None, mtime=None, follow_symlinks=true))]
    #[allow(clippy::too_many_arguments)]
    fn setstat(
        &self,
        py: Python<'_>,
        path: Vec<u8>,
        size: Option<u64>,
        uid: Option<u32>,
        gid: Option<u32>,
        mode: Option<u32>,
        atime: Option<u64>,
        mtime: Option<u64>,
        follow_symlinks: bool,
    ) -> PyResult<()> {
        let attrs = (size, uid, gid, mode, atime, mtime);
        if follow_symlinks {
            self.call(py, |s| s.setstat(&path, &attrs))
        } else {
            self.call(py, |s| s.lsetstat(&path, &attrs))
        }
    }

    #[allow(clippy::type_complexity)]
    fn listdir<'py>(
        &self,
        py: Python<'py>,
        path: Vec<u8>,
    ) -> PyResult<Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, Attrs)>> {
        let entries = self.call(py, |s| listdir(s, &path))?;
        Ok(entries
            .into_iter()
            .map(|(n, l, a)| (PyBytes::new(py, &n), PyBytes::new(py, &l), a))
            .collect())
    }

    fn mkdir(&self, py: Python<'_>, path: Vec<u8>, mode: u32) -> PyResult<()> {
        self.call(py, |s| s.mkdir(&path, mode))
    }

    fn rmdir(&self, py: Python<'_>, path: Vec<u8>) -> PyResult<()> {
        self.call(py, |s| s.rmdir(&path))
    }

    fn remove(&self, py: Python<'_>, path: Vec<u8>) -> PyResult<()> {
        self.call(py, |s| s.unlink(&path))
    }

    fn rename(&self, py: Python<'_>, old: Vec<u8>, new: Vec<u8>) -> PyResult<()> {
        self.call(py, |s| s.rename(&old, &new))
    }

    fn posix_rename(&self, py: Python<'_>, old: Vec<u8>, new: Vec<u8>) -> PyResult<()> {
        self.call(py, |s| s.posix_rename(&old, &new))
    }

    fn symlink(&self, py: Python<'_>, target: Vec<u8>, link: Vec<u8>) -> PyResult<()> {
        self.call(py, |s| s.symlink(&target, &link))
    }

    fn readlink<'py>(&self, py: Python<'py>, path: Vec<u8>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.call(py, |s| s.readlink(&path, false))?;
        Ok(PyBytes::new(py, &out))
    }

    fn realpath<'py>(&self, py: Python<'py>, path: Vec<u8>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.call(py, |s| s.readlink(&path, true))?;
        Ok(PyBytes::new(py, &out))
    }

    fn open(&self, py: Python<'_>, path: Vec<u8>, flags: u32, mode: u32) -> PyResult<File> {
        let handle = self.call(py, |s| s.open(&path, flags, mode))?;
        Ok(File::new(self.inner.clone(), handle))
    }

    /// `lanes`: SFTP channels a big file may use at once (see parallel.rs).
    #[pyo3(signature = (remote, local, callback=None, lanes=None))]
    fn get(
        &self,
        py: Python<'_>,
        remote: Vec<u8>,
        local: std::path::PathBuf,
        callback: Option<Py<PyAny>>,
        lanes: Option<usize>,
    ) -> PyResult<u64> {
        transfer::get(
            py,
            &self.inner,
            &remote,
            &local,
            callback,
            lanes.unwrap_or(parallel::DEFAULT_DOWNLOAD_LANES),
        )
    }

    #[pyo3(signature = (remote, fl, callback=None))]
    fn getfo(&self, py: Python<'_>, remote: Vec<u8>, fl: Py<PyAny>, callback: Option<Py<PyAny>>) -> PyResult<u64> {
        transfer::getfo(py, &self.inner, &remote, fl, callback)
    }

    #[pyo3(signature = (local, remote, callback=None, confirm=true, atomic=false, lanes=None))]
    #[allow(clippy::too_many_arguments)]
    fn put(
        &self,
        py: Python<'_>,
        local: std::path::PathBuf,
        remote: Vec<u8>,
        callback: Option<Py<PyAny>>,
        confirm: bool,
        atomic: bool,
        lanes: Option<usize>,
    ) -> PyResult<Option<Attrs>> {
        transfer::put(py, &self.inner, &local, &remote, callback, confirm, atomic, lanes)
    }

    #[pyo3(signature = (fl, remote, file_size=0, callback=None, confirm=true, atomic=false))]
    #[allow(clippy::too_many_arguments)]
    fn putfo(
        &self,
        py: Python<'_>,
        fl: Py<PyAny>,
        remote: Vec<u8>,
        file_size: u64,
        callback: Option<Py<PyAny>>,
        confirm: bool,
        atomic: bool,
    ) -> PyResult<Option<Attrs>> {
        transfer::putfo(py, &self.inner, fl, &remote, file_size, callback, confirm, atomic)
    }

    /// Upload many (local, remote) files, each to its own outcome (the sync
    /// agent, the CLI): see batch.rs. `expect`, one per job when given: the
    /// remote file each may replace, None (absent) or (size, mtime).
    /// `callback(index, done, total, finished)` at bounded intervals
    /// (`finished` once per file that succeeded). Returns (per
    /// file: attributes, an exception, or None if never finished; the
    /// exception that ended the batch early, or None).
    #[pyo3(signature = (jobs, expect=None, confirm=true, atomic=true, times=false, mode=false, callback=None, stop_at_first=false))]
    #[allow(clippy::too_many_arguments)]
    fn put_each(
        &self,
        py: Python<'_>,
        jobs: Vec<(std::path::PathBuf, Vec<u8>)>,
        expect: Option<Vec<Option<(u64, u64)>>>,
        confirm: bool,
        atomic: bool,
        times: bool,
        mode: bool,
        callback: Option<Py<PyAny>>,
        stop_at_first: bool,
    ) -> PyResult<(Vec<Py<PyAny>>, Py<PyAny>)> {
        if expect.as_ref().is_some_and(|e| e.len() != jobs.len()) {
            return Err(Error::Value("expect needs one entry per job".into()).into());
        }
        let mut expect = expect.map(Vec::into_iter);
        let jobs = jobs
            .into_iter()
            .map(|(l, r)| (l, r, expect.as_mut().and_then(Iterator::next)))
            .collect();
        let opts = batch::PutOptions {
            confirm,
            atomic,
            times,
            mode,
            stop_at_first,
        };
        let mut report = reporter(callback);
        let outcomes = crate::shutdown::detach(py, || {
            batch::put_each(
                &self.inner,
                jobs,
                opts,
                report.as_mut().map(|r| r as &mut batch::Report<'_>),
            )
        });
        outcomes_to_py(py, outcomes)
    }

    /// Download many (remote, local) files, each to its own outcome; with
    /// `recheck`, a file that changed while it was read fails with
    /// SyncConflict and is not put in place. Returns as `put_each`.
    #[pyo3(signature = (jobs, recheck=false, callback=None, stop_at_first=false))]
    fn get_each(
        &self,
        py: Python<'_>,
        jobs: Vec<(Vec<u8>, std::path::PathBuf)>,
        recheck: bool,
        callback: Option<Py<PyAny>>,
        stop_at_first: bool,
    ) -> PyResult<(Vec<Py<PyAny>>, Py<PyAny>)> {
        let mut report = reporter(callback);
        let outcomes = crate::shutdown::detach(py, || {
            batch::get_each(
                &self.inner,
                jobs,
                recheck,
                stop_at_first,
                report.as_mut().map(|r| r as &mut batch::Report<'_>),
            )
        });
        outcomes_to_py(py, outcomes)
    }

    fn settimeout(&self, timeout: Option<f64>) -> PyResult<()> {
        self.inner.timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The inactivity limit used when no timeout is set (None: wait forever).
    fn set_idle_limit(&self, limit: Option<f64>) -> PyResult<()> {
        self.inner.idle_limit.set(check_timeout(limit)?);
        Ok(())
    }

    fn gettimeout(&self) -> Option<f64> {
        self.inner.timeout.get()
    }

    fn close(&self, py: Python<'_>) {
        let s = &*self.inner;
        crate::shutdown::detach(py, || s.close());
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The extensions the server offered: {name: data}.
    fn extensions<'py>(&self, py: Python<'py>) -> Vec<(String, Bound<'py, PyBytes>)> {
        self.inner
            .conn
            .extensions
            .iter()
            .map(|(n, d)| (n.clone(), PyBytes::new(py, d)))
            .collect()
    }

    /// (max packet, max read, max write, max open handles) from
    /// `limits@openssh.com`, or SFTP's safe defaults.
    fn limits(&self) -> (u64, u64, u64, u64) {
        let l = self.inner.conn.limits;
        (l.max_packet, l.max_read, l.max_write, l.max_open_handles)
    }

    #[allow(clippy::type_complexity)]
    fn statvfs(
        &self,
        py: Python<'_>,
        path: Vec<u8>,
    ) -> PyResult<(u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64)> {
        let v = self.call(py, |s| s.statvfs(&path))?;
        Ok((
            v.bsize, v.frsize, v.blocks, v.bfree, v.bavail, v.files, v.ffree, v.favail, v.fsid, v.flag, v.namemax,
        ))
    }

    fn hardlink(&self, py: Python<'_>, old: Vec<u8>, new: Vec<u8>) -> PyResult<()> {
        self.call(py, |s| s.hardlink(&old, &new))
    }

    fn expand_path<'py>(&self, py: Python<'py>, path: Vec<u8>) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.call(py, |s| s.expand_path(&path))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Server-side copy of `length` bytes (0: all) between two open files.
    #[pyo3(signature = (src, dst, src_offset=0, length=0, dst_offset=0))]
    fn copy_data(
        &self,
        py: Python<'_>,
        src: &File,
        dst: &File,
        src_offset: u64,
        length: u64,
        dst_offset: u64,
    ) -> PyResult<()> {
        self.call(py, |s| {
            s.copy_data(&src.handle()?, src_offset, length, &dst.handle()?, dst_offset)
        })
    }

    /// SFTP channels this client has open (its own and the helpers of
    /// parallel transfers).
    #[getter]
    fn channels(&self, py: Python<'_>) -> usize {
        let s = &*self.inner;
        crate::shutdown::detach(py, || s.channel_count())
    }

    fn is_usable(&self) -> bool {
        self.inner.check_usable().is_ok()
    }
}
