//! Waiting for the network without holding the connection.
//!
//! libssh2 calls run one at a time under the session's operation lock, and only
//! for as long as one non-blocking call takes. A caller whose call would block
//! releases the lock and waits here: one waiter at a time polls the socket (the
//! *poller*); the others sleep on a condition variable. Whenever the connection
//! moves (a call read bytes off the socket, finished, or flushed a half-sent
//! packet; the poller saw the socket ready) the generation goes up and every
//! waiter retries its call. So a thread blocked reading one channel never keeps
//! another thread's SFTP reply or channel data from it: whichever call pulls
//! that packet off the socket, its owner is woken to take it.
//!
//! Bytes read off the socket are counted by a receive callback installed into
//! libssh2 (`install_counting_recv`): the only exact signal that a call moved
//! packets into libssh2's queues for someone else.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Condvar;
use std::time::{Duration, Instant};

use ssh2::BlockDirections;

use crate::error::{Error, Result};
use crate::locks::Brief;

/// How often a quiet wait lets Ctrl-C through, and the longest any waiter
/// sleeps before retrying on its own.
pub const POLL_SLICE_MS: i32 = 100;

/// Socket activity counters, one slot per descriptor number (two sessions
/// sharing a slot only cost each other a spurious wake-up).
const SLOTS: usize = 1024;
static SOCKET_ACTIVITY: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];

/// A count that changes whenever libssh2 read bytes (or EOF, or an error) from `fd`.
pub fn socket_activity(fd: i32) -> u64 {
    SOCKET_ACTIVITY[fd as usize % SLOTS].load(Ordering::SeqCst)
}

extern "C" {
    // In the bundled libssh2 (1.11); not declared by libssh2-sys.
    fn libssh2_session_callback_set2(
        session: *mut libssh2_sys::LIBSSH2_SESSION,
        cbtype: c_int,
        callback: *mut c_void,
    ) -> *mut c_void;
}

const LIBSSH2_CALLBACK_RECV: c_int = 6;

/// libssh2's own `_libssh2_recv`, plus the activity count.
unsafe extern "C" fn counting_recv(
    sock: c_int,
    buffer: *mut c_void,
    length: usize,
    flags: c_int,
    _abstract: *mut *mut c_void,
) -> isize {
    // SAFETY: libssh2 hands us its socket and a buffer of `length` writable bytes.
    let rc = unsafe { crate::socket::recv_for_libssh2(sock, buffer, length, flags) };
    if rc != -(rustix::io::Errno::AGAIN.raw_os_error() as isize) {
        // bytes, EOF or an error: the connection moved
        SOCKET_ACTIVITY[sock as usize % SLOTS].fetch_add(1, Ordering::SeqCst);
    }
    rc
}

/// Make libssh2 read the socket through `counting_recv`.
pub fn install_counting_recv(raw: *mut libssh2_sys::LIBSSH2_SESSION) {
    // SAFETY: `raw` is a live session not yet shared with another thread; the
    // callback has exactly libssh2's LIBSSH2_RECV_FUNC signature.
    unsafe {
        libssh2_session_callback_set2(raw, LIBSSH2_CALLBACK_RECV, counting_recv as *mut c_void);
    }
}

/// The wait room of one connection.
pub struct Progress {
    /// Goes up whenever the connection moves.
    generation: AtomicU64,
    /// Callers inside `wait`: a bump with nobody waiting costs one atomic add.
    waiting: AtomicUsize,
    /// True while one waiter polls the socket; guards the condition variable.
    poller: Brief<bool>,
    moved: Condvar,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            generation: AtomicU64::new(0),
            waiting: AtomicUsize::new(0),
            poller: Brief::new(false),
            moved: Condvar::new(),
        }
    }

    /// The generation to pass to `wait` after a call that would block.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The connection moved: every waiter retries.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        // A waiter counts itself before it checks the generation (both SeqCst),
        // so either it sees this bump or this sees it waiting.
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.poller.with(|_| ()); // a waiter between its check and its sleep is asleep now
            self.moved.notify_all();
        }
    }

    /// Wait until the connection moves past `seen`, the socket is ready in
    /// `dirs`, or one poll slice passes; `Error::Timeout` once `until` passed.
    /// Call with the GIL released and no lock held.
    pub fn wait(
        &self,
        fd: i32,
        seen: u64,
        dirs: impl FnOnce() -> BlockDirections,
        until: Option<Instant>,
    ) -> Result<()> {
        let slice = slice_until(until)?;
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _counted = Uncount(&self.waiting);
        let mut polling = self.poller.lock_detached()?;
        if self.generation.load(Ordering::SeqCst) != seen {
            return Ok(());
        }
        if *polling {
            let _ = self
                .moved
                .wait_timeout(polling, slice)
                .unwrap_or_else(|p| p.into_inner());
            return Ok(());
        }
        *polling = true;
        drop(polling);
        let ready = crate::socket::wait_ready(fd, dirs(), slice);
        self.poller.set(false);
        if ready {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        // Ready: everyone retries. Not ready: hand the poller's seat on.
        self.moved.notify_all();
        Ok(())
    }
}

/// Leaves the waiting count on every way out of `wait`.
struct Uncount<'a>(&'a AtomicUsize);

impl Drop for Uncount<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The time left before `until`, at most one poll slice.
fn slice_until(until: Option<Instant>) -> Result<Duration> {
    let slice = Duration::from_millis(POLL_SLICE_MS as u64);
    match until {
        None => Ok(slice),
        Some(t) => {
            let now = Instant::now();
            if now >= t {
                return Err(Error::Timeout);
            }
            Ok((t - now).clamp(Duration::from_millis(1), slice))
        }
    }
}
