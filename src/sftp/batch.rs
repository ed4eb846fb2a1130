//! Many files in flight on one SFTP channel (put_r, get_r, put_d, get_d):
//! the next files are opened, written and closed while earlier ones finish,
//! so a tree of small files costs the server's work, not a round trip per
//! step per file.
//!
//! Each file walks its steps (put: open, writes, close, rename, times,
//! stat; get: open, fstat, reads, close), one request of a file depending on
//! the reply before it, and up to `MAX_FILES` files at once. Replies are
//! taken oldest first. After the first failure no new file starts; the files
//! under way finish, then the first error is returned. Runs with the GIL
//! released; only Ctrl-C checks touch Python.

use std::collections::VecDeque;
use std::fs;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::client::{attrs_to_tuple, Attrs, Client};
use super::conn::{expect_attrs, expect_handle, expect_ok, unexpected};
use super::proto::{FileAttrs, Reply, Request, Writer, FXF_CREAT, FXF_READ, FXF_TRUNC, FXF_WRITE};
use super::transfer::{create_temp, local_temp_beside, publish_download, read_some, temp_name_beside};
use crate::error::{Error, Result};

/// Files under way at once.
const MAX_FILES: usize = 64;
/// Bytes of reads or writes in flight, all files together.
const WINDOW: usize = 8 << 20;


/// What a request in flight was for.
#[derive(Clone, Copy)]
enum Step {
    Open,
    Fstat,
    Read { offset: u64, len: u32 },
    Write { len: usize },
    Close,
    Rename,
    SetTimes,
    Stat,
}

/// Requests in flight, oldest first, with the file they belong to.
struct Flight<'a> {
    s: &'a Client,
    queue: VecDeque<(u32, usize, Step)>,
    bytes: usize,
}

impl<'a> Flight<'a> {
    fn send(&mut self, file: usize, step: Step, req: &Request<'_>) -> Result<()> {
        let id = self.s.send(req)?;
        self.queue.push_back((id, file, step));
        match step {
            Step::Write { len } => self.bytes += len,
            Step::Read { len, .. } => self.bytes += len as usize,
            _ => {}
        }
        Ok(())
    }

    /// Requests of `file` still in flight.
    fn pending(&self, file: usize) -> usize {
        self.queue.iter().filter(|(_, f, _)| *f == file).count()
    }

    fn next(&mut self) -> Option<(u32, usize, Step)> {
        let next = self.queue.pop_front();
        match next {
            Some((_, _, Step::Write { len })) => self.bytes -= len,
            Some((_, _, Step::Read { len, .. })) => self.bytes -= len as usize,
            _ => {}
        }
        next
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        for (id, ..) in self.queue.drain(..) {
            self.s.conn.forget(id);
        }
    }
}

/// Keeps the first error; a file's own error ends that file.
fn first(slot: &mut Option<Error>, e: Error) {
    if slot.is_none() {
        *slot = Some(e);
    }
}

/// Where one file of a batch stands, put or get alike.
#[derive(Default)]
struct Walk {
    handle: Option<Vec<u8>>,
    /// Close sent, close answered.
    closing: bool,
    closed: bool,
    /// Every step succeeded.
    done: bool,
    /// Nothing more will be sent or received for this file.
    finished: bool,
    error: Option<Error>,
}

impl Walk {
    /// Keep a step's error as this file's; one that ends the connection or
    /// the caller's wait (dropped, timeout, Ctrl-C) ends the whole batch.
    fn record(&mut self, outcome: Result<()>) -> Result<()> {
        if let Err(e) = outcome {
            if matches!(e, Error::Dropped(_) | Error::Timeout | Error::Python(_)) {
                return Err(e);
            }
            first(&mut self.error, e);
        }
        Ok(())
    }

    /// True once: when nothing of this file is in flight and nothing more is
    /// due (every step done, or failed with its handle closed or never open).
    fn finishes(&mut self, in_flight: usize) -> bool {
        let over = in_flight == 0 && (self.done || (self.error.is_some() && (self.handle.is_none() || self.closed)));
        if over && !self.finished {
            self.finished = true;
            return true;
        }
        false
    }
}

// ------------------------------------------------------------------ put

struct Put {
    remote: Vec<u8>,
    /// Where the bytes go: a hidden temp name when atomic.
    target: Vec<u8>,
    file: Option<fs::File>,
    times: Option<(u32, u32)>,
    sent: u64,
    all_read: bool,
    writes_out: usize,
    w: Walk,
}

/// Upload every (local, remote) pair; remote directories must exist.
/// Returns how many files were sent.
pub fn put_many(s: &Client, jobs: Vec<(PathBuf, Vec<u8>)>, confirm: bool, atomic: bool, preserve_mtime: bool) -> Result<usize> {
    let mut files: Vec<Put> = Vec::new();
    let mut flight = Flight { s, queue: VecDeque::new(), bytes: 0 };
    let mut jobs = jobs.into_iter();
    let mut failed: Option<Error> = None;
    let mut active = 0usize;
    let request = s.max_write();
    let mut chunk = vec![0u8; request];
    loop {
        // Start files while there is room and nothing has failed.
        while failed.is_none() && active < MAX_FILES {
            let Some((local, remote)) = jobs.next() else { break };
            let opened = fs::File::open(&local).and_then(|f| f.metadata().map(|m| (f, m)));
            let (file, meta) = match opened {
                Ok(x) => x,
                Err(e) => {
                    // a missing local file fails before anything happens remotely
                    first(&mut failed, e.into());
                    break;
                }
            };
            let times = if preserve_mtime {
                use std::os::unix::fs::MetadataExt;
                Some((meta.atime().clamp(0, u32::MAX as i64) as u32, meta.mtime().clamp(0, u32::MAX as i64) as u32))
            } else {
                None
            };
            let target = if atomic { temp_name_beside(&remote) } else { remote.clone() };
            let i = files.len();
            let attrs = FileAttrs { permissions: Some(0o666), ..FileAttrs::default() };
            flight.send(i, Step::Open, &Request::Open { path: &target, pflags: FXF_WRITE | FXF_CREAT | FXF_TRUNC, attrs: &attrs })?;
            files.push(Put {
                remote,
                target,
                file: Some(file),
                times,
                sent: 0,
                all_read: false,
                writes_out: 0,
                w: Walk::default(),
            });
            active += 1;
        }
        // Feed writes to the open files, within the window.
        for (i, f) in files.iter_mut().enumerate() {
            if f.w.finished {
                continue;
            }
            let Some(handle) = f.w.handle.clone() else { continue };
            while f.w.error.is_none() && !f.all_read && flight.bytes + request <= WINDOW {
                let n = match f.file.as_mut().map(|file| read_some(file, &mut chunk)) {
                    Some(Ok(n)) => n,
                    Some(Err(e)) => {
                        f.w.error = Some(e.into());
                        break;
                    }
                    None => 0,
                };
                if n == 0 {
                    f.all_read = true;
                    f.file = None;
                    break;
                }
                flight.send(i, Step::Write { len: n }, &Request::Write { handle: &handle, offset: f.sent, data: &chunk[..n] })?;
                f.sent += n as u64;
                f.writes_out += 1;
            }
            if (f.all_read || f.w.error.is_some()) && f.writes_out == 0 && !f.w.closing {
                f.w.closing = true;
                flight.send(i, Step::Close, &Request::Close { handle: &handle })?;
            }
        }
        let Some((id, i, step)) = flight.next() else { break };
        let reply = s.wait(id)?;
        let f = &mut files[i];
        let outcome = (|| -> Result<()> {
            match step {
                Step::Open => f.w.handle = Some(expect_handle(reply)?),
                Step::Write { .. } => {
                    f.writes_out -= 1;
                    expect_ok(reply)?;
                }
                Step::Close => {
                    f.w.closed = true;
                    expect_ok(reply)?;
                    if f.w.error.is_some() {
                        return Ok(());
                    }
                    if f.target != f.remote {
                        let mut w = Writer::default();
                        w.bytes(&f.target).bytes(&f.remote);
                        flight.send(i, Step::Rename, &Request::Extended { name: "posix-rename@openssh.com", body: &w.0 })?;
                    } else {
                        after_rename(&mut flight, i, f, confirm)?;
                    }
                }
                Step::Rename => {
                    expect_ok(reply)?;
                    after_rename(&mut flight, i, f, confirm)?;
                }
                Step::SetTimes => {
                    expect_ok(reply)?;
                    if confirm {
                        flight.send(i, Step::Stat, &Request::Stat { path: &f.remote })?;
                    } else {
                        f.w.done = true;
                    }
                }
                Step::Stat => {
                    let size = expect_attrs(reply)?.size.unwrap_or(0);
                    if size != f.sent {
                        return Err(Error::OsMessage(format!("size mismatch in put!  {size} != {}", f.sent)));
                    }
                    f.w.done = true;
                }
                Step::Fstat | Step::Read { .. } => return Err(Error::Ssh("a read step in a put".into())),
            }
            Ok(())
        })();
        f.w.record(outcome)?;
        if f.w.finishes(flight.pending(i)) {
            active -= 1;
            f.file = None;
            if let Some(e) = f.w.error.take() {
                if f.target != f.remote {
                    // the temp name of a failed atomic put: best effort
                    if let Ok(id) = s.send(&Request::Remove { path: &f.target }) {
                        s.conn.forget(id);
                    }
                }
                first(&mut failed, e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(files.iter().filter(|f| f.w.done).count()),
    }
}

/// After the bytes are in place: the times, then the size check.
fn after_rename(flight: &mut Flight<'_>, i: usize, f: &mut Put, confirm: bool) -> Result<()> {
    if let Some(times) = f.times {
        let attrs = FileAttrs { times: Some(times), ..FileAttrs::default() };
        flight.send(i, Step::SetTimes, &Request::Setstat { path: &f.remote, attrs: &attrs })
    } else if confirm {
        flight.send(i, Step::Stat, &Request::Stat { path: &f.remote })
    } else {
        f.w.done = true;
        Ok(())
    }
}

// ------------------------------------------------------------------ get

struct Get {
    local: PathBuf,
    temp: PathBuf,
    out: Option<fs::File>,
    attrs: Option<FileAttrs>,
    size: u64,
    /// Next offset to ask for, and bytes received.
    asked: u64,
    got: u64,
    reads_out: usize,
    w: Walk,
}

/// Download every (remote, local) pair; local directories must exist. Each
/// file arrives under a temp name and is renamed into place when complete.
/// Returns, per file, the remote attributes (for preserve_mtime).
pub fn get_many(s: &Client, jobs: Vec<(Vec<u8>, PathBuf)>) -> Result<Vec<Attrs>> {
    let mut files: Vec<Get> = Vec::new();
    let mut flight = Flight { s, queue: VecDeque::new(), bytes: 0 };
    let mut jobs = jobs.into_iter();
    let mut failed: Option<Error> = None;
    let mut active = 0usize;
    let request = s.max_read();
    let result = (|| -> Result<()> {
        loop {
            while failed.is_none() && active < MAX_FILES {
                let Some((remote, local)) = jobs.next() else { break };
                let i = files.len();
                let attrs = FileAttrs::default();
                flight.send(i, Step::Open, &Request::Open { path: &remote, pflags: FXF_READ, attrs: &attrs })?;
                let temp = local_temp_beside(&local);
                files.push(Get {
                    local,
                    temp,
                    out: None,
                    attrs: None,
                    size: 0,
                    asked: 0,
                    got: 0,
                    reads_out: 0,
                    w: Walk::default(),
                });
                active += 1;
            }
            for (i, f) in files.iter_mut().enumerate() {
                if f.w.finished {
                    continue;
                }
                let Some(handle) = f.w.handle.clone() else { continue };
                let sized = f.attrs.is_some(); // its fstat has been answered
                while sized && f.w.error.is_none() && f.asked < f.size && flight.bytes + request <= WINDOW {
                    let len = (f.size - f.asked).min(request as u64) as u32;
                    flight.send(i, Step::Read { offset: f.asked, len }, &Request::Read { handle: &handle, offset: f.asked, len })?;
                    f.asked += u64::from(len);
                    f.reads_out += 1;
                }
                let complete = sized && f.got >= f.size;
                if (complete || f.w.error.is_some()) && f.reads_out == 0 && !f.w.closing {
                    f.w.closing = true;
                    flight.send(i, Step::Close, &Request::Close { handle: &handle })?;
                }
            }
            let Some((id, i, step)) = flight.next() else { break };
            let reply = s.wait(id)?;
            let f = &mut files[i];
            let outcome = (|| -> Result<()> {
                match step {
                    Step::Open => {
                        let handle = expect_handle(reply)?;
                        f.w.handle = Some(handle.clone());
                        f.out = Some(create_temp(&f.temp)?);
                        flight.send(i, Step::Fstat, &Request::Fstat { handle: &handle })?;
                    }
                    Step::Fstat => {
                        let a = expect_attrs(reply)?;
                        f.size = a.size.unwrap_or(0);
                        f.attrs = Some(a);
                    }
                    Step::Read { offset, len } => {
                        f.reads_out -= 1;
                        match reply {
                            Reply::Data(data) if data.len() <= len as usize && !data.is_empty() => {
                                if let Some(out) = &f.out {
                                    out.write_all_at(&data, offset)?;
                                }
                                f.got += data.len() as u64;
                                if data.len() < len as usize {
                                    // a short read: ask for the rest
                                    let rest = (offset + data.len() as u64, len - data.len() as u32);
                                    let handle = f.w.handle.clone().unwrap_or_default();
                                    flight.send(i, Step::Read { offset: rest.0, len: rest.1 }, &Request::Read { handle: &handle, offset: rest.0, len: rest.1 })?;
                                    f.reads_out += 1;
                                }
                            }
                            Reply::Data(_) | Reply::Status { code: super::proto::FX_EOF, .. } => {
                                return Err(Error::OsMessage(format!(
                                    "size mismatch in get!  the file ended before its {} bytes",
                                    f.size
                                )));
                            }
                            Reply::Status { code, .. } => return Err(Error::Sftp(code)),
                            other => return Err(unexpected(&other)),
                        }
                    }
                    Step::Close => {
                        f.w.closed = true;
                        expect_ok(reply)?;
                        if f.w.error.is_none() {
                            let out = f.out.take().ok_or_else(|| Error::OsMessage("download file lost".into()))?;
                            publish_download(out, &f.temp, &f.local, f.got)?;
                        }
                        f.w.done = true;
                    }
                    _ => return Err(Error::Ssh("a write step in a get".into())),
                }
                Ok(())
            })();
            f.w.record(outcome)?;
            if f.w.finishes(flight.pending(i)) {
                active -= 1;
                if let Some(e) = f.w.error.take() {
                    f.out = None;
                    let _ = fs::remove_file(&f.temp);
                    first(&mut failed, e);
                }
            }
        }
        Ok(())
    })();
    // Whatever did not finish leaves no temp file behind.
    for f in &files {
        if !f.w.done {
            let _ = fs::remove_file(&f.temp);
        }
    }
    result?;
    match failed {
        Some(e) => Err(e),
        None => Ok(files.iter().map(|f| attrs_to_tuple(f.attrs.as_ref().unwrap_or(&FileAttrs::default()))).collect()),
    }
}
