//! One big file over several SFTP channels of the same connection. Each
//! channel (a lane: its own sftp-server process on the server, its own
//! window) moves one contiguous range of the file, so an upload is no longer
//! capped by one channel's window per round trip, and the server reads or
//! writes with several processes. Used by `get` and `put` of local files at
//! or above `PARALLEL_MIN` bytes.
//!
//! The lanes run on threads of their own (no Python); the calling thread
//! reports progress and watches Ctrl-C every `TICK`, and stops the lanes on
//! the first error.

use std::fs;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

use super::client::{Client, Handle};
use super::conn::{expect_ok, SftpConn};
use super::pipeline::{Lane, ReadAhead, WriteBehind};
use super::proto::{FileAttrs, Reply, Request};
use crate::error::{Error, Result};

/// Smallest file moved over several channels.
pub const PARALLEL_MIN: u64 = 64 << 20;
/// Channels of one transfer unless the caller says otherwise.
pub const DEFAULT_LANES: usize = 4;
/// How often the calling thread reports progress and looks at Ctrl-C.
const TICK: Duration = Duration::from_millis(50);
/// Bytes an upload lane reads from the local file per step.
const UPLOAD_STEP: usize = 1 << 20;

const FLAG_READ: u32 = 0x01;
const FLAG_WRITE: u32 = 0x02;

/// `lanes` ranges covering [0, size), each a multiple of `align` but the last.
pub fn split(size: u64, lanes: usize, align: u64) -> Vec<(u64, u64)> {
    let lanes = lanes.max(1) as u64;
    let per = size.div_ceil(lanes).div_ceil(align) * align;
    let mut out = Vec::new();
    let mut start = 0;
    while start < size {
        let end = (start + per).min(size);
        out.push((start, end));
        start = end;
    }
    out
}

/// The shared state of one parallel transfer.
struct Run {
    cancel: AtomicBool,
    done: AtomicU64,
    finished: AtomicUsize,
    error: Mutex<Option<Error>>,
}

impl Run {
    /// Keep the error that says what happened: a lane that timed out shuts
    /// the connection, so the others then fail with `Dropped`.
    fn fail(&self, e: Error) {
        self.cancel.store(true, Ordering::SeqCst);
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() || (matches!(*slot, Some(Error::Dropped(_))) && !matches!(e, Error::Dropped(_))) {
            *slot = Some(e);
        }
    }
}

/// Run `body` on every lane (lane 0 is the client's own channel with its
/// open `handle`; the others open `path` with `pflags` on a helper channel),
/// reporting `Run::done` through `tick` until all are finished.
#[allow(clippy::too_many_arguments)]
fn run_lanes(
    py: Python<'_>,
    s: &Client,
    helpers: &[Arc<SftpConn>],
    handle: &Handle,
    path: &[u8],
    pflags: u32,
    ranges: &[(u64, u64)],
    body: impl Fn(Lane<'_>, &Handle, (u64, u64), &AtomicU64) -> Result<()> + Sync,
    mut tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let run = Run { cancel: AtomicBool::new(false), done: AtomicU64::new(0), finished: AtomicUsize::new(0), error: Mutex::new(None) };
    let lane_for = |i: usize| {
        let conn = if i == 0 { &s.conn } else { &*helpers[i - 1] };
        Lane { client: s, conn, cancel: Some(&run.cancel) }
    };
    crate::shutdown::detach(py, || {
        std::thread::scope(|scope| {
            for (i, range) in ranges.iter().enumerate() {
                let (run, body, lane) = (&run, &body, lane_for(i));
                scope.spawn(move || {
                    let result = if i == 0 {
                        body(lane, handle, *range, &run.done)
                    } else {
                        on_own_handle(lane, path, pflags, |h| body(lane, h, *range, &run.done))
                    };
                    if let Err(e) = result {
                        run.fail(e);
                    }
                    run.finished.fetch_add(1, Ordering::SeqCst);
                });
            }
            while run.finished.load(Ordering::SeqCst) < ranges.len() {
                std::thread::sleep(TICK);
                if run.cancel.load(Ordering::SeqCst) {
                    continue; // wait for the lanes to stop
                }
                let done = run.done.load(Ordering::SeqCst);
                if let Err(e) = Python::attach(|py| tick(py, done)) {
                    // the caller's error (Ctrl-C, a callback's exception) wins
                    let mut slot = run.error.lock().unwrap_or_else(|p| p.into_inner());
                    *slot = Some(e);
                    run.cancel.store(true, Ordering::SeqCst);
                }
            }
        })
    });
    match run.error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(run.done.into_inner()),
    }
}

/// Open `path` on a helper lane, run `f` with the handle, close it.
fn on_own_handle(lane: Lane<'_>, path: &[u8], pflags: u32, f: impl FnOnce(&Handle) -> Result<()>) -> Result<()> {
    let attrs = FileAttrs::default();
    let handle = match lane.wait(lane.send(&Request::Open { path, pflags, attrs: &attrs })?)? {
        Reply::Handle(h) => Handle(h),
        Reply::Status { code, .. } => return Err(Error::Sftp(code)),
        other => return Err(super::conn::unexpected(&other)),
    };
    let result = f(&handle);
    if result.is_ok() {
        expect_ok(lane.wait(lane.send(&Request::Close { handle: &handle.0 })?)?)?;
    } else if let Ok(id) = lane.send(&Request::Close { handle: &handle.0 }) {
        lane.conn.forget(id);
    }
    result
}

/// Download [0, size) of the open `handle` into `out`, at offsets.
#[allow(clippy::too_many_arguments)]
pub fn download(
    py: Python<'_>,
    s: &Client,
    helpers: &[Arc<SftpConn>],
    remote: &[u8],
    handle: &Handle,
    size: u64,
    out: &fs::File,
    tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let ranges = split(size, helpers.len() + 1, s.max_read() as u64);
    let lanes = ranges.len();
    let body = |lane: Lane<'_>, h: &Handle, (start, end): (u64, u64), done: &AtomicU64| -> Result<()> {
        // the lanes share the link: together they start as one transfer would
        let mut reads = ReadAhead::new(lane, h, start, Some(end)).sharing(lanes);
        let mut pos = start;
        loop {
            let piece = reads.next_piece()?;
            if piece.is_empty() {
                break;
            }
            out.write_all_at(&piece, pos)?;
            pos += piece.len() as u64;
            done.fetch_add(piece.len() as u64, Ordering::SeqCst);
        }
        if pos != end {
            return Err(Error::OsMessage(format!("size mismatch in get!  the file ended at {pos}, not {end}")));
        }
        Ok(())
    };
    run_lanes(py, s, helpers, handle, remote, FLAG_READ, &ranges, body, tick)
}

/// Upload [0, size) of `local` into the open `handle` of `target`. The last
/// piece of the file is written last, alone, once every other byte is
/// confirmed: until then the remote file is shorter than the local one, so a
/// failed upload never leaves a file of the full size with gaps in it.
#[allow(clippy::too_many_arguments)]
pub fn upload(
    py: Python<'_>,
    s: &Client,
    helpers: &[Arc<SftpConn>],
    target: &[u8],
    handle: &Handle,
    size: u64,
    local: &fs::File,
    tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let tail = size.min(s.max_write() as u64);
    let ranges = split(size - tail, helpers.len() + 1, s.max_write() as u64);
    let body = |lane: Lane<'_>, h: &Handle, (start, end): (u64, u64), done: &AtomicU64| -> Result<()> {
        let mut writes = WriteBehind::new(lane, h, start);
        let mut buf = vec![0u8; UPLOAD_STEP];
        let mut pos = start;
        let mut acked = 0;
        while pos < end {
            let n = ((end - pos) as usize).min(buf.len());
            local.read_exact_at(&mut buf[..n], pos)?;
            writes.write(&buf[..n])?;
            pos += n as u64;
            done.fetch_add(writes.acked - acked, Ordering::SeqCst);
            acked = writes.acked;
        }
        writes.finish()?;
        done.fetch_add(writes.acked - acked, Ordering::SeqCst);
        Ok(())
    };
    let mut tick = tick;
    let sent = run_lanes(py, s, helpers, handle, target, FLAG_WRITE, &ranges, body, &mut tick)?;
    let mut last = vec![0u8; tail as usize];
    local.read_exact_at(&mut last, size - tail)?;
    crate::shutdown::detach(py, || {
        let mut writes = WriteBehind::new(Lane::main(s), handle, size - tail);
        writes.write(&last)?;
        writes.finish()
    })?;
    Ok(sent + tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_file_once() {
        for (size, lanes, align) in [(0u64, 4, 10u64), (1, 4, 10), (100, 4, 10), (101, 3, 7), (1 << 30, 4, 261_120)] {
            let r = split(size, lanes, align);
            assert!(r.len() <= lanes);
            let mut at = 0;
            for (i, &(a, b)) in r.iter().enumerate() {
                assert_eq!(a, at);
                assert!(b > a);
                if i + 1 < r.len() {
                    assert_eq!((b - a) % align, 0);
                }
                at = b;
            }
            assert_eq!(at, size);
        }
    }
}
