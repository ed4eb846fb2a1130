//! Many files in flight on one SFTP channel (put_r, get_r, put_d, get_d):
//! the next files are opened, written and closed while earlier ones finish,
//! so a tree of small files costs the server's work, not a round trip per
//! step per file.
//!
//! Each file walks its steps (put: [check,] open, writes, close, rename,
//! attributes, stat; get: open, fstat, reads, [fstat again,] close), one
//! request of a file depending on the reply before it, and up to `MAX_FILES`
//! files at once. Replies are taken oldest first.
//!
//! Two ways to end: `put_many`/`get_many` (put_r, get_r) stop starting files
//! at the first failure and return it once the files under way finish;
//! `put_each`/`get_each` (the sync agent, the CLI) go on and give every file
//! its own outcome. A failure of the connection or of the caller (dropped,
//! timeout, Ctrl-C, a callback's exception) ends either at once. Runs with
//! the GIL released; Python is entered only for Ctrl-C checks and, at
//! bounded intervals, for the progress report.

use std::collections::VecDeque;
use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pyo3::Python;

use super::client::Client;
use super::conn::{expect_attrs, expect_handle, expect_ok, unexpected};
use super::proto::{FileAttrs, Reply, Request, Writer, FXF_CREAT, FXF_READ, FXF_TRUNC, FXF_WRITE};
use super::transfer::{create_temp, local_temp_beside, publish_download, read_some, temp_name_beside};
use crate::error::{Error, Result};

/// Files under way at once.
const MAX_FILES: usize = 64;
/// Bytes of reads or writes in flight, all files together.
const WINDOW: usize = 8 << 20;
/// How often progress is reported at most.
const TICK: Duration = Duration::from_millis(50);

/// Progress of file `i`: (i, bytes done, bytes in all, finished), called
/// with the GIL; `finished` comes once per file that succeeded.
pub type Report<'r> = dyn FnMut(Python<'_>, usize, u64, u64, bool) -> Result<()> + Send + 'r;

/// Each file's outcome (None: never finished, the batch ended first), and
/// the error that ended the batch early, if one did.
pub struct Outcomes {
    pub files: Vec<Option<Result<FileAttrs>>>,
    pub ended_by: Option<Error>,
}

/// Collects progress and hands it to the caller's report every `TICK`.
struct Reporter<'a, 'r> {
    report: Option<&'a mut Report<'r>>,
    changed: Vec<(usize, u64, u64, bool)>,
    last: Instant,
}

impl Reporter<'_, '_> {
    fn note(&mut self, file: usize, done: u64, total: u64) {
        self.keep((file, done, total, false));
    }

    fn finished(&mut self, file: usize, size: u64) {
        self.keep((file, size, size, true));
    }

    fn keep(&mut self, news: (usize, u64, u64, bool)) {
        if self.report.is_some() {
            match self.changed.iter_mut().find(|c| c.0 == news.0) {
                Some(c) => *c = news,
                None => self.changed.push(news),
            }
        }
    }

    fn flush(&mut self, now: bool) -> Result<()> {
        let Some(report) = self.report.as_mut() else {
            return Ok(());
        };
        if self.changed.is_empty() || (!now && self.last.elapsed() < TICK) {
            return Ok(());
        }
        self.last = Instant::now();
        let changed = std::mem::take(&mut self.changed);
        crate::locks::attach(|py| {
            changed
                .into_iter()
                .try_for_each(|(i, done, total, end)| report(py, i, done, total, end))
        })
    }
}

/// What a request in flight was for.
#[derive(Clone, Copy)]
enum Step {
    Check,
    Open,
    Fstat,
    Read { offset: u64, len: u32 },
    Recheck,
    Write { len: usize },
    Close,
    Rename,
    SetAttrs,
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

/// How a batch of uploads goes.
#[derive(Clone, Copy, Default)]
pub struct PutOptions {
    /// Stat each file when it is in place and check its size.
    pub confirm: bool,
    /// Write to a hidden temp name, posix-rename it into place.
    pub atomic: bool,
    /// Give each remote file its local file's times, its mode.
    pub times: bool,
    pub mode: bool,
    /// Start no file after a failure (put_r); else every file has its go.
    pub stop_at_first: bool,
}

/// The remote file an upload may replace: absent (None) or this (size,
/// whole-second mtime). A file found otherwise is left alone.
pub type Expect = Option<(u64, u64)>;

struct Put {
    remote: Vec<u8>,
    /// Where the bytes go: a hidden temp name when atomic.
    target: Vec<u8>,
    file: Option<fs::File>,
    meta: Option<fs::Metadata>,
    expect: Option<Expect>,
    size: u64,
    sent: u64,
    acked: u64,
    all_read: bool,
    writes_out: usize,
    last: Option<FileAttrs>,
    w: Walk,
}

/// Upload every (local, remote, expect) job, each to its own outcome: the
/// remote attributes once in place (after the size check when confirming).
/// A job with `expect` is checked just before it starts: a remote file that
/// is not as expected fails it with `Error::Changed`, untouched.
pub fn put_each(
    s: &Client,
    jobs: Vec<(PathBuf, Vec<u8>, Option<Expect>)>,
    opts: PutOptions,
    report: Option<&mut Report<'_>>,
) -> Outcomes {
    let mut files: Vec<Put> = Vec::new();
    let count = jobs.len();
    let mut reporter = Reporter {
        report,
        changed: Vec::new(),
        last: Instant::now(),
    };
    let ended_by = put_walk(s, jobs, opts, &mut files, &mut reporter)
        .and_then(|()| reporter.flush(true))
        .err();
    if ended_by.is_some() && s.check_usable().is_ok() {
        // Ended early: close what is open, remove the temp names (best
        // effort, replies not awaited).
        for f in files.iter().filter(|f| !f.w.finished) {
            if let Some(handle) = &f.w.handle {
                s.send_unwaited(&Request::Close { handle });
                if f.target != f.remote {
                    s.send_unwaited(&Request::Remove { path: &f.target });
                }
            }
        }
    }
    let mut files: Vec<_> = files.into_iter().map(|f| f.outcome()).collect();
    files.resize_with(count, || None); // never started
    Outcomes { files, ended_by }
}

impl Put {
    fn outcome(self) -> Option<Result<FileAttrs>> {
        match (self.w.error, self.w.done) {
            (Some(e), _) => Some(Err(e)),
            (None, true) => Some(Ok(self.last.unwrap_or_default())),
            (None, false) => None,
        }
    }

    /// The attributes to set once the bytes are in place, if any.
    fn attrs_to_set(&self, opts: &PutOptions) -> Option<FileAttrs> {
        let meta = self.meta.as_ref()?;
        let mut attrs = FileAttrs::default();
        if opts.times {
            let clamp = |t: i64| t.clamp(0, i64::from(u32::MAX)) as u32;
            attrs.times = Some((clamp(meta.atime()), clamp(meta.mtime())));
        }
        if opts.mode {
            attrs.permissions = Some(meta.mode() & 0o7777);
        }
        (attrs.times.is_some() || attrs.permissions.is_some()).then_some(attrs)
    }
}

fn put_walk(
    s: &Client,
    jobs: Vec<(PathBuf, Vec<u8>, Option<Expect>)>,
    opts: PutOptions,
    files: &mut Vec<Put>,
    reporter: &mut Reporter<'_, '_>,
) -> Result<()> {
    let mut flight = Flight {
        s,
        queue: VecDeque::new(),
        bytes: 0,
    };
    let mut jobs = jobs.into_iter();
    let mut active = 0usize;
    let mut any_failed = false;
    let request = s.max_write();
    let mut chunk = vec![0u8; request];
    loop {
        // Start files while there is room (and, for put_r, nothing failed).
        while !(opts.stop_at_first && any_failed) && active < MAX_FILES {
            let Some((local, remote, expect)) = jobs.next() else {
                break;
            };
            let i = files.len();
            let target = if opts.atomic {
                temp_name_beside(&remote)
            } else {
                remote.clone()
            };
            let mut f = Put {
                remote,
                target,
                file: None,
                meta: None,
                expect,
                size: 0,
                sent: 0,
                acked: 0,
                all_read: false,
                writes_out: 0,
                last: None,
                w: Walk::default(),
            };
            match fs::File::open(&local).and_then(|file| file.metadata().map(|m| (file, m))) {
                Ok((file, meta)) => {
                    f.size = meta.len();
                    f.file = Some(file);
                    f.meta = Some(meta);
                }
                Err(e) => {
                    // a missing local file fails before anything happens remotely
                    f.w.error = Some(e.into());
                    f.w.finished = true;
                    any_failed = true;
                    files.push(f);
                    continue;
                }
            }
            if f.expect.is_some() {
                flight.send(i, Step::Check, &Request::Stat { path: &f.remote })?;
            } else {
                open_target(&mut flight, i, &f)?;
            }
            files.push(f);
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
                flight.send(
                    i,
                    Step::Write { len: n },
                    &Request::Write {
                        handle: &handle,
                        offset: f.sent,
                        data: &chunk[..n],
                    },
                )?;
                f.sent += n as u64;
                f.writes_out += 1;
            }
            if (f.all_read || f.w.error.is_some()) && f.writes_out == 0 && !f.w.closing {
                f.w.closing = true;
                flight.send(i, Step::Close, &Request::Close { handle: &handle })?;
            }
        }
        reporter.flush(false)?;
        let Some((id, i, step)) = flight.next() else { break };
        let reply = s.wait(id)?;
        let f = &mut files[i];
        let outcome = (|| -> Result<()> {
            match step {
                Step::Check => {
                    let found = match reply {
                        Reply::Status {
                            code: super::proto::FX_NO_SUCH_FILE,
                            ..
                        } => None,
                        other => {
                            let a = expect_attrs(other)?;
                            Some((a.size.unwrap_or(0), a.times.map_or(0, |(_, m)| u64::from(m))))
                        }
                    };
                    if Some(found) != f.expect {
                        return Err(Error::Changed(format!(
                            "{} changed on the server",
                            String::from_utf8_lossy(&f.remote)
                        )));
                    }
                    open_target(&mut flight, i, f)?;
                }
                Step::Open => f.w.handle = Some(expect_handle(reply)?),
                Step::Write { len } => {
                    f.writes_out -= 1;
                    expect_ok(reply)?;
                    f.acked += len as u64;
                    reporter.note(i, f.acked, f.size);
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
                        flight.send(
                            i,
                            Step::Rename,
                            &Request::Extended {
                                name: "posix-rename@openssh.com",
                                body: &w.0,
                            },
                        )?;
                    } else {
                        after_rename(&mut flight, i, f, &opts)?;
                    }
                }
                Step::Rename => {
                    expect_ok(reply)?;
                    after_rename(&mut flight, i, f, &opts)?;
                }
                Step::SetAttrs => {
                    expect_ok(reply)?;
                    if opts.confirm {
                        flight.send(i, Step::Stat, &Request::Stat { path: &f.remote })?;
                    } else {
                        f.w.done = true;
                    }
                }
                Step::Stat => {
                    let a = expect_attrs(reply)?;
                    let size = a.size.unwrap_or(0);
                    if size != f.sent {
                        return Err(Error::OsMessage(format!("size mismatch in put!  {size} != {}", f.sent)));
                    }
                    f.last = Some(a);
                    f.w.done = true;
                }
                Step::Fstat | Step::Read { .. } | Step::Recheck => {
                    return Err(Error::Ssh("a read step in a put".into()))
                }
            }
            Ok(())
        })();
        f.w.record(outcome)?;
        if f.w.finishes(flight.pending(i)) {
            active -= 1;
            f.file = None;
            if f.w.done && f.w.error.is_none() {
                reporter.finished(i, f.sent);
            }
            if f.w.error.is_some() && f.target != f.remote && f.w.handle.is_some() {
                // the temp name of a failed atomic put: best effort
                s.send_unwaited(&Request::Remove { path: &f.target });
            }
            any_failed |= f.w.error.is_some();
        }
    }
    Ok(())
}

/// Open the file's target for writing.
fn open_target(flight: &mut Flight<'_>, i: usize, f: &Put) -> Result<()> {
    let attrs = FileAttrs {
        permissions: Some(0o666),
        ..FileAttrs::default()
    };
    flight.send(
        i,
        Step::Open,
        &Request::Open {
            path: &f.target,
            pflags: FXF_WRITE | FXF_CREAT | FXF_TRUNC,
            attrs: &attrs,
        },
    )
}

/// After the bytes are in place: the attributes, then the size check.
fn after_rename(flight: &mut Flight<'_>, i: usize, f: &mut Put, opts: &PutOptions) -> Result<()> {
    if let Some(attrs) = f.attrs_to_set(opts) {
        flight.send(
            i,
            Step::SetAttrs,
            &Request::Setstat {
                path: &f.remote,
                attrs: &attrs,
            },
        )
    } else if opts.confirm {
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
    /// The second fstat (see `get_each`) is answered, or not asked for.
    rechecked: bool,
    w: Walk,
}

impl Get {
    fn outcome(self) -> Option<Result<FileAttrs>> {
        match (self.w.error, self.w.done) {
            (Some(e), _) => Some(Err(e)),
            (None, true) => Some(Ok(self.attrs.unwrap_or_default())),
            (None, false) => None,
        }
    }
}

/// Download every (remote, local) job, each to its own outcome: the remote
/// attributes the bytes match. With `recheck`, each file is fstat'ed again
/// after its last read: a file whose size or mtime moved meanwhile fails
/// with `Error::Changed` (the caller may fetch it again), and nothing is put
/// in place.
pub fn get_each(
    s: &Client,
    jobs: Vec<(Vec<u8>, PathBuf)>,
    recheck: bool,
    stop_at_first: bool,
    report: Option<&mut Report<'_>>,
) -> Outcomes {
    let mut files: Vec<Get> = Vec::new();
    let count = jobs.len();
    let mut reporter = Reporter {
        report,
        changed: Vec::new(),
        last: Instant::now(),
    };
    let ended_by = get_walk(s, jobs, recheck, stop_at_first, &mut files, &mut reporter)
        .and_then(|()| reporter.flush(true))
        .err();
    // Whatever did not finish leaves no temp file behind.
    for f in &files {
        if !f.w.done || f.w.error.is_some() {
            let _ = fs::remove_file(&f.temp);
        }
        if let (Some(handle), true) = (
            &f.w.handle,
            !f.w.finished && ended_by.is_some() && s.check_usable().is_ok(),
        ) {
            s.send_unwaited(&Request::Close { handle });
        }
    }
    let mut files: Vec<_> = files.into_iter().map(Get::outcome).collect();
    files.resize_with(count, || None); // never started
    Outcomes { files, ended_by }
}

fn get_walk(
    s: &Client,
    jobs: Vec<(Vec<u8>, PathBuf)>,
    recheck: bool,
    stop_at_first: bool,
    files: &mut Vec<Get>,
    reporter: &mut Reporter<'_, '_>,
) -> Result<()> {
    let mut flight = Flight {
        s,
        queue: VecDeque::new(),
        bytes: 0,
    };
    let mut jobs = jobs.into_iter();
    let mut active = 0usize;
    let mut any_failed = false;
    let request = s.max_read();
    loop {
        while !(stop_at_first && any_failed) && active < MAX_FILES {
            let Some((remote, local)) = jobs.next() else { break };
            let i = files.len();
            let attrs = FileAttrs::default();
            flight.send(
                i,
                Step::Open,
                &Request::Open {
                    path: &remote,
                    pflags: FXF_READ,
                    attrs: &attrs,
                },
            )?;
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
                rechecked: !recheck,
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
                flight.send(
                    i,
                    Step::Read { offset: f.asked, len },
                    &Request::Read {
                        handle: &handle,
                        offset: f.asked,
                        len,
                    },
                )?;
                f.asked += u64::from(len);
                f.reads_out += 1;
            }
            let complete = sized && f.got >= f.size;
            if complete && f.w.error.is_none() && f.reads_out == 0 && !f.rechecked && flight.pending(i) == 0 {
                flight.send(i, Step::Recheck, &Request::Fstat { handle: &handle })?;
            }
            let ready = (complete && f.rechecked) || f.w.error.is_some();
            if ready && f.reads_out == 0 && !f.w.closing && flight.pending(i) == 0 {
                f.w.closing = true;
                flight.send(i, Step::Close, &Request::Close { handle: &handle })?;
            }
        }
        reporter.flush(false)?;
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
                Step::Recheck => {
                    f.rechecked = true;
                    let a = expect_attrs(reply)?;
                    let before = f.attrs.as_ref().map(|b| (b.size, b.times.map(|t| t.1)));
                    if before != Some((a.size, a.times.map(|t| t.1))) {
                        return Err(Error::Changed(format!(
                            "{} changed on the server during the download",
                            f.local.display()
                        )));
                    }
                }
                Step::Read { offset, len } => {
                    f.reads_out -= 1;
                    match reply {
                        Reply::Data(data) if data.len() <= len as usize && !data.is_empty() => {
                            if let Some(out) = &f.out {
                                out.write_all_at(&data, offset)?;
                            }
                            f.got += data.len() as u64;
                            reporter.note(i, f.got, f.size);
                            if data.len() < len as usize {
                                // a short read: ask for the rest
                                let rest = (offset + data.len() as u64, len - data.len() as u32);
                                let handle = f.w.handle.clone().unwrap_or_default();
                                flight.send(
                                    i,
                                    Step::Read {
                                        offset: rest.0,
                                        len: rest.1,
                                    },
                                    &Request::Read {
                                        handle: &handle,
                                        offset: rest.0,
                                        len: rest.1,
                                    },
                                )?;
                                f.reads_out += 1;
                            }
                        }
                        Reply::Data(_)
                        | Reply::Status {
                            code: super::proto::FX_EOF,
                            ..
                        } => {
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
                        let out = f
                            .out
                            .take()
                            .ok_or_else(|| Error::OsMessage("download file lost".into()))?;
                        publish_download(out, &f.temp, &f.local, f.got)?;
                        reporter.finished(i, f.got);
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
            if f.w.error.is_some() {
                f.out = None;
                let _ = fs::remove_file(&f.temp);
                any_failed = true;
            }
        }
    }
    Ok(())
}
