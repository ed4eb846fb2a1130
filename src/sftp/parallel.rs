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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use super::client::{Client, Handle};
use super::conn::expect_handle;
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
/// Below this round trip (the connection's shortest SFTP request) one
/// channel's window is not the limit: measured on loopback, four lanes
/// uploaded a 256 MiB file slower than one (429-497 vs 488-581 MiB/s), two
/// cores being shared by four sftp-server processes and our lanes.
pub const FAR_RTT: Duration = Duration::from_millis(5);
/// From this round trip on, an upload takes `VERY_FAR_UPLOAD_LANES`: each
/// helper channel starts a round trip after the one before it (their opens
/// take turns), so more of them make up for the start. Measured at 100 ms on
/// 64 MiB: 4 lanes 1.37 s, 6 lanes 1.25 s, 8 lanes 1.20 s. Six leave four of
/// sshd's ten sessions per connection (MaxSessions) to the caller's channels.
pub const VERY_FAR_RTT: Duration = Duration::from_millis(50);
pub const VERY_FAR_UPLOAD_LANES: usize = 6;

/// Upload lanes: the caller's number, else by the connection's round trip.
pub fn upload_lanes(asked: Option<usize>, rtt: Duration) -> usize {
    asked.unwrap_or(if rtt >= VERY_FAR_RTT {
        VERY_FAR_UPLOAD_LANES
    } else if rtt >= FAR_RTT {
        DEFAULT_UPLOAD_LANES
    } else {
        1
    })
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
const STEP_MIN: u64 = 1 << 20;
const STEP_MAX: u64 = 64 << 20;

/// Pieces of [0, end) handed to whichever lane asks next: a lane that
/// starts late (its channel still opening) or runs slow simply takes fewer.
/// Each piece is a share of what is left, so pieces shrink towards the end
/// and the lanes finish together instead of waiting for one long last piece.
struct Claims {
    next: AtomicU64,
    end: u64,
    /// Pieces per share of what is left: two per lane.
    shares: u64,
    align: u64,
}

impl Claims {
    fn new(end: u64, lanes: usize, align: u64) -> Claims {
        Claims {
            next: AtomicU64::new(0),
            end,
            shares: lanes as u64 * 2,
            align: align.max(1),
        }
    }

    fn exhausted(&self) -> bool {
        self.next.load(Ordering::SeqCst) >= self.end
    }

    fn claim(&self) -> Option<(u64, u64)> {
        let mut start = self.next.load(Ordering::SeqCst);
        loop {
            if start >= self.end {
                return None;
            }
            let step = ((self.end - start) / self.shares)
                .clamp(STEP_MIN, STEP_MAX)
                .div_ceil(self.align)
                * self.align;
            let stop = (start + step).min(self.end);
            match self
                .next
                .compare_exchange(start, stop, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return Some((start, stop)),
                Err(now) => start = now,
            }
        }
    }
}

/// The shared state of one parallel transfer.
struct Run {
    cancel: AtomicBool,
    /// The first lane's handle is open: the helpers may open the file.
    main_open: AtomicBool,
    done: AtomicU64,
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

    /// Wait, on a helper lane whose channel is ready, until the first lane
    /// opened the file (it creates and truncates it); false if the transfer
    /// stopped meanwhile. The first lane's open is one round trip and a
    /// helper's set-up at least three, so this rarely waits at all.
    fn wait_for_main_open(&self) -> bool {
        while !self.main_open.load(Ordering::SeqCst) {
            if self.cancel.load(Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }
}

/// The first lane's handle: open already, or opened by the first lane with
/// `open` while the helper lanes set up their channels.
pub struct MainHandle<'h> {
    handle: OnceLock<Handle>,
    open: Option<&'h OpenMain<'h>>,
}

/// Opens the file on the first lane.
pub type OpenMain<'f> = dyn Fn(Lane<'_>) -> Result<Handle> + Sync + 'f;

impl<'h> MainHandle<'h> {
    pub fn open(handle: Handle) -> MainHandle<'h> {
        MainHandle {
            handle: OnceLock::from(handle),
            open: None,
        }
    }

    pub fn opened_by(open: &'h OpenMain<'h>) -> MainHandle<'h> {
        MainHandle {
            handle: OnceLock::new(),
            open: Some(open),
        }
    }

    /// The handle, if the file was opened (to close or go on writing).
    pub fn into_handle(self) -> Option<Handle> {
        self.handle.into_inner()
    }
}

/// What a lane does: claim pieces and move them, adding to the count. A
/// helper lane's handle is its own (`Owned::Yes`): the work closes it once
/// done, sending the close behind its last requests.
type Work<'b> = dyn Fn(Lane<'_>, &Handle, Owned, &Claims, &AtomicU64) -> Result<()> + Sync + 'b;

/// Whose handle a lane works on: its own (a helper's) or the main one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owned {
    Yes,
    No,
}

/// Run `lanes` lanes over `claims`: lane 0 on the client's own channel with
/// the `main` handle (opening it first if asked to), starting at once; the
/// others each set up a helper channel meanwhile, then open `path` (with
/// `pflags`) on it once the main handle is open, and join when ready (a
/// helper that cannot open just leaves the work to the others). The calling
/// thread reports `Run::done` through `tick` until all are finished.
#[allow(clippy::too_many_arguments)]
fn run_lanes(
    py: Python<'_>,
    s: &Client,
    lanes: usize,
    main: &MainHandle<'_>,
    path: &[u8],
    pflags: u32,
    claims: &Claims,
    lane_work: &Work<'_>,
    mut tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let run = Run {
        cancel: AtomicBool::new(false),
        main_open: AtomicBool::new(main.handle.get().is_some()),
        done: AtomicU64::new(0),
        error: Brief::new(None),
    };
    let work = |lane: Lane<'_>, h: &Handle, owned: Owned| lane_work(lane, h, owned, claims, &run.done);
    let first_lane = |lane: Lane<'_>| -> Result<()> {
        if let Some(open) = main.open {
            let handle = open(lane)?;
            let _ = main.handle.set(handle);
        }
        let handle = main
            .handle
            .get()
            .ok_or_else(|| Error::Ssh("the file was not opened".into()))?;
        run.main_open.store(true, Ordering::SeqCst);
        work(lane, handle, Owned::No)
    };
    crate::shutdown::detach(py, || {
        // each lane says when it ends, so the end is seen at once, not at a tick
        let (ended_tx, ended) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            for i in 0..lanes {
                let (run, work, first_lane, ended_tx) = (&run, &work, &first_lane, ended_tx.clone());
                crate::locks::spawn_scoped(scope, move || {
                    let result = if i == 0 {
                        first_lane(Lane {
                            client: s,
                            conn: &s.conn,
                            cancel: Some(&run.cancel),
                        })
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
                                let r = if run.wait_for_main_open() {
                                    on_own_handle(lane, path, pflags, |h| work(lane, h, Owned::Yes))
                                } else {
                                    Ok(())
                                };
                                s.release_helper(&conn);
                                r
                            }
                            None => Ok(()),
                        }
                    };
                    if let Err(e) = result {
                        run.fail(e);
                    }
                    let _ = ended_tx.send(());
                });
            }
            let mut running = lanes;
            let mut next_tick = Instant::now() + TICK;
            while running > 0 {
                match ended.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
                    Ok(()) => {
                        running -= 1;
                        continue;
                    }
                    Err(RecvTimeoutError::Timeout) => next_tick = Instant::now() + TICK,
                    Err(RecvTimeoutError::Disconnected) => break, // not reached: the lanes send first
                }
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

/// Open `path` on a helper lane and run `f` with the handle, which closes it
/// when it succeeds; after a failure the close is sent here, unwaited.
/// A helper whose open fails leaves the work to the others: the main lane
/// opened the same file just before, so the fault is the helper channel's
/// (its server program did not start, say), and the main lane meets any
/// fault of the connection itself.
fn on_own_handle(lane: Lane<'_>, path: &[u8], pflags: u32, f: impl FnOnce(&Handle) -> Result<()>) -> Result<()> {
    let attrs = FileAttrs::default();
    let opened = lane
        .send(&Request::Open {
            path,
            pflags,
            attrs: &attrs,
        })
        .and_then(|id| lane.wait(id))
        .and_then(expect_handle);
    let Ok(handle) = opened.map(Handle) else {
        return Ok(());
    };
    let result = f(&handle);
    if result.is_err() {
        lane.send_unwaited(&Request::Close { handle: &handle.0 });
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
    let main = MainHandle::open(handle.clone());
    let work = |lane: Lane<'_>, h: &Handle, owned: Owned, claims: &Claims, done: &AtomicU64| -> Result<()> {
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
        if owned == Owned::Yes {
            // a read handle's close loses nothing: not waited for
            lane.send_unwaited(&Request::Close { handle: &h.0 });
        }
        Ok(())
    };
    run_lanes(py, s, lanes, &main, remote, FXF_READ, &claims, &work, tick)
}

/// Upload [0, size) of `local` into `target`, whose `main` handle the first
/// lane opens (created, truncated) while the helper lanes set up their
/// channels. The caller writes the file's last piece once this returned
/// (see transfer.rs) and closes the main handle.
#[allow(clippy::too_many_arguments)]
pub fn upload(
    py: Python<'_>,
    s: &Client,
    lanes: usize,
    target: &[u8],
    main: &MainHandle<'_>,
    size: u64,
    local: &fs::File,
    tick: impl FnMut(Python<'_>, u64) -> Result<()> + Send,
) -> Result<u64> {
    let claims = Claims::new(size, lanes, s.max_write() as u64);
    let work = |lane: Lane<'_>, h: &Handle, owned: Owned, claims: &Claims, done: &AtomicU64| -> Result<()> {
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
        if owned == Owned::Yes {
            // the close goes out behind the last writes, and is checked
            writes.close_behind(None)?;
        } else {
            writes.finish()?;
        }
        done.fetch_add(writes.acked() - acked, Ordering::SeqCst);
        Ok(())
    };
    run_lanes(py, s, lanes, main, target, FXF_WRITE, &claims, &work, tick)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_lanes_follow_the_round_trip() {
        let ms = Duration::from_millis;
        assert_eq!(upload_lanes(None, ms(0)), 1);
        assert_eq!(upload_lanes(None, ms(4)), 1);
        assert_eq!(upload_lanes(None, ms(5)), DEFAULT_UPLOAD_LANES);
        assert_eq!(upload_lanes(None, ms(49)), DEFAULT_UPLOAD_LANES);
        assert_eq!(upload_lanes(None, ms(50)), VERY_FAR_UPLOAD_LANES);
        assert_eq!(upload_lanes(Some(2), ms(100)), 2);
    }

    #[test]
    fn claims_shrink_towards_the_end() {
        let c = Claims::new(256 << 20, 4, 1);
        let sizes: Vec<u64> = std::iter::from_fn(|| c.claim().map(|(a, b)| b - a)).collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        assert_eq!(sizes[0], 32 << 20);
        assert!(sizes.iter().rev().take(4).all(|&n| n <= STEP_MIN), "{sizes:?}");
        assert!(sizes.len() < 64, "{sizes:?}");
    }

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
