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
use std::time::Duration;

use pyo3::prelude::*;

use super::client::{Client, Handle};
use super::conn::{expect_handle, expect_ok};
use super::pipeline::{Lane, ReadAhead, WriteBehind};
use super::proto::{FileAttrs, Request, FXF_READ, FXF_WRITE};
use crate::error::{Error, Result};
use crate::locks::Brief;

/// Smallest file moved over several channels.
pub const PARALLEL_MIN: u64 = 64 << 20;
/// Channels of one upload over a link slower than `FAR_RTT`, unless the
/// caller says otherwise. A stock sshd gives each channel a 2 MiB window: one
/// channel uploads at most 2 MiB per round trip.
pub const DEFAULT_UPLOAD_LANES: usize = 4;
/// Below this round trip (the file's open request, timed) one channel's
/// window is not the limit: measured on loopback, four lanes uploaded a
/// 256 MiB file slower than one (429-497 vs 488-581 MiB/s), two cores being
/// shared by four sftp-server processes and our lanes.
pub const FAR_RTT: Duration = Duration::from_millis(5);

/// Upload lanes: the caller's number, else by the round trip of the open.
pub fn upload_lanes(asked: Option<usize>, open_rtt: Duration) -> usize {
    asked.unwrap_or(if open_rtt >= FAR_RTT { DEFAULT_UPLOAD_LANES } else { 1 })
}
/// Channels of one download unless the caller says otherwise: one. Our
/// channel window is 16 MiB (conn.rs), enough for 160 MiB/s at 100 ms, and
/// measured at 100 ms RTT four lanes were slower on a 64 MiB file (27 vs
/// 43 MiB/s: each lane opens its channel and starts its window anew).
pub const DEFAULT_DOWNLOAD_LANES: usize = 1;
/// How often the calling thread reports progress and looks at Ctrl-C.
const TICK: Duration = Duration::from_millis(50);
/// Bytes an upload lane reads from the local file per step.
const UPLOAD_STEP: usize = 1 << 20;
/// Bounds of the pieces lanes claim.
const STEP_MIN: u64 = 8 << 20;
const STEP_MAX: u64 = 64 << 20;

/// Pieces of [0, end) handed to whichever lane asks next: a lane that
/// starts late (its channel still opening) or runs slow simply takes fewer.
struct Claims {
    next: AtomicU64,
    end: u64,
    step: u64,
}

impl Claims {
    fn new(end: u64, lanes: usize, align: u64) -> Claims {
        // a few pieces per lane: late lanes still find work, and each piece
        // is long enough that its start (one round trip) costs little
        let step = (end / (lanes as u64 * 3)).clamp(STEP_MIN, STEP_MAX).div_ceil(align) * align;
        Claims {
            next: AtomicU64::new(0),
            end,
            step,
        }
    }

    fn exhausted(&self) -> bool {
        self.next.load(Ordering::SeqCst) >= self.end
    }

    fn claim(&self) -> Option<(u64, u64)> {
        let start = self.next.fetch_add(self.step, Ordering::SeqCst);
        (start < self.end).then(|| (start, (start + self.step).min(self.end)))
    }
}

/// The shared state of one parallel transfer.
struct Run {
    cancel: AtomicBool,
    done: AtomicU64,
    finished: AtomicUsize,
    error: Brief<Option<Error>>,
}

impl Run {
    /// Keep the error that says what happened: a lane that timed out shuts
    /// the connection, so the others then fail with `Dropped`.
    fn fail(&self, e: Error) {
        self.cancel.store(true, Ordering::SeqCst);
        self.error.with(|slot| {
            if slot.is_none() || (matches!(*slot, Some(Error::Dropped(_))) && !matches!(e, Error::Dropped(_))) {
                *slot = Some(e);
            }
        });
    }
}

/// What a lane does: claim pieces and move them, adding to the count.
type Work<'b> = dyn Fn(Lane<'_>, &Handle, &Claims, &AtomicU64) -> Result<()> + Sync + 'b;

/// Run `lanes` lanes over `claims`: lane 0 on the client's own channel with
/// its open `handle`, starting at once; the others each open a helper
/// channel and `path` (with `pflags`) on it first, and join when ready (a
/// helper that cannot open just leaves the work to the others). The calling
/// thread reports `Run::done` through `tick` until all are finished.
#[allow(clippy::too_many_arguments)]
fn run_lanes(
    py: Python<'_>,
    s: &Client,
    lanes: usize,
    handle: &Handle,
    path: &[u8],
    pflags: u32,
    claims: &Claims,
    lane_work: &Work<'_>,
    mut tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let run = Run {
        cancel: AtomicBool::new(false),
        done: AtomicU64::new(0),
        finished: AtomicUsize::new(0),
        error: Brief::new(None),
    };
    let work = |lane: Lane<'_>, h: &Handle| lane_work(lane, h, claims, &run.done);
    crate::shutdown::detach(py, || {
        std::thread::scope(|scope| {
            for i in 0..lanes {
                let (run, work) = (&run, &work);
                crate::locks::spawn_scoped(scope, move || {
                    let result = if i == 0 {
                        work(
                            Lane {
                                client: s,
                                conn: &s.conn,
                                cancel: Some(&run.cancel),
                            },
                            handle,
                        )
                    } else if claims.exhausted() {
                        Ok(()) // the others took everything already
                    } else {
                        match s.open_helper() {
                            Some(conn) => {
                                let lane = Lane {
                                    client: s,
                                    conn: &conn,
                                    cancel: Some(&run.cancel),
                                };
                                let r = on_own_handle(lane, path, pflags, |h| work(lane, h));
                                s.release_helper(&conn);
                                r
                            }
                            None => Ok(()),
                        }
                    };
                    if let Err(e) = result {
                        run.fail(e);
                    }
                    run.finished.fetch_add(1, Ordering::SeqCst);
                });
            }
            while run.finished.load(Ordering::SeqCst) < lanes {
                std::thread::sleep(TICK);
                if run.cancel.load(Ordering::SeqCst) {
                    continue; // wait for the lanes to stop
                }
                let done = run.done.load(Ordering::SeqCst);
                if let Err(e) = crate::locks::attach(|py| tick(py, done)) {
                    // the caller's error (Ctrl-C, a callback's exception) wins
                    run.error.set_value(e);
                    run.cancel.store(true, Ordering::SeqCst);
                }
            }
        });
    });
    match run.error.into_inner() {
        Some(e) => Err(e),
        None => Ok(run.done.into_inner()),
    }
}

/// Open `path` on a helper lane, run `f` with the handle, close it.
fn on_own_handle(lane: Lane<'_>, path: &[u8], pflags: u32, f: impl FnOnce(&Handle) -> Result<()>) -> Result<()> {
    let attrs = FileAttrs::default();
    let handle = Handle(expect_handle(lane.wait(lane.send(&Request::Open {
        path,
        pflags,
        attrs: &attrs,
    })?)?)?);
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
    lanes: usize,
    remote: &[u8],
    handle: &Handle,
    size: u64,
    out: &fs::File,
    tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let claims = Claims::new(size, lanes, s.max_read() as u64);
    let work = |lane: Lane<'_>, h: &Handle, claims: &Claims, done: &AtomicU64| -> Result<()> {
        // the lanes share the link: together they start as one transfer
        // would; each keeps its window from piece to piece
        let mut window = 0;
        while let Some((start, end)) = claims.claim() {
            if lane.cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
                break;
            }
            let mut reads = ReadAhead::new(lane, h, start, Some(end))
                .sharing(lanes)
                .resuming(window);
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
            window = reads.window();
            if pos != end {
                return Err(Error::OsMessage(format!(
                    "size mismatch in get!  the file ended at {pos}, not {end}"
                )));
            }
        }
        Ok(())
    };
    run_lanes(py, s, lanes, handle, remote, FXF_READ, &claims, &work, tick)
}

/// Upload [0, size) of `local` into the open `handle` of `target` (the
/// caller writes the file's last piece once this returned: see
/// transfer.rs).
#[allow(clippy::too_many_arguments)]
pub fn upload(
    py: Python<'_>,
    s: &Client,
    lanes: usize,
    target: &[u8],
    handle: &Handle,
    size: u64,
    local: &fs::File,
    tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let claims = Claims::new(size, lanes, s.max_write() as u64);
    let work = |lane: Lane<'_>, h: &Handle, claims: &Claims, done: &AtomicU64| -> Result<()> {
        // One pipeline for all of this lane's pieces: the writes of the next
        // piece go out while the last ones of this piece are unconfirmed.
        let mut writes = WriteBehind::new(lane, h, 0);
        let mut buf = vec![0u8; UPLOAD_STEP];
        let mut acked = 0;
        while let Some((start, end)) = claims.claim() {
            if lane.cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
                break;
            }
            writes.jump(start);
            let mut pos = start;
            while pos < end {
                let n = ((end - pos) as usize).min(buf.len());
                local.read_exact_at(&mut buf[..n], pos)?;
                writes.write(&buf[..n])?;
                pos += n as u64;
                done.fetch_add(writes.acked() - acked, Ordering::SeqCst);
                acked = writes.acked();
            }
        }
        writes.finish()?;
        done.fetch_add(writes.acked() - acked, Ordering::SeqCst);
        Ok(())
    };
    run_lanes(py, s, lanes, handle, target, FXF_WRITE, &claims, &work, tick)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_cover_the_file_once() {
        for (size, lanes, align) in [
            (0u64, 4, 10u64),
            (1, 4, 10),
            (100, 4, 10),
            (101, 3, 7),
            (1 << 30, 4, 261_120),
        ] {
            let c = Claims::new(size, lanes, align);
            let mut at = 0;
            while let Some((a, b)) = c.claim() {
                assert_eq!(a, at);
                assert!(b > a);
                if b < size {
                    assert_eq!((b - a) % align, 0);
                }
                at = b;
            }
            assert_eq!(at, size);
            assert!(c.claim().is_none());
        }
    }
}
