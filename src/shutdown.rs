//! Process exit with libssh2 calls in flight.
//!
//! When the interpreter exits, the C library's exit handlers tear OpenSSL
//! down while other threads may still be inside libssh2 (the channel watcher,
//! keepalive, a daemon thread's transfer): decrypting a packet then would use
//! freed state and crash the process. So ferrosftp registers `before_exit`
//! with Python's `atexit`: from then on no new libssh2 call starts, and it waits
//! (briefly) for the calls under way to return.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

static EXITING: AtomicBool = AtomicBool::new(false);
static INSIDE: AtomicUsize = AtomicUsize::new(0);
/// Python threads inside `detach` sections, and how many of them parked.
static DETACHED: AtomicUsize = AtomicUsize::new(0);
static PARKED: AtomicUsize = AtomicUsize::new(0);

/// Held while a thread is inside libssh2.
pub struct InsideLibssh2(());

impl InsideLibssh2 {
    /// None once the process is exiting: do not start a libssh2 call.
    pub fn enter() -> Option<InsideLibssh2> {
        INSIDE.fetch_add(1, Ordering::SeqCst);
        if EXITING.load(Ordering::SeqCst) {
            INSIDE.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(InsideLibssh2(()))
    }
}

impl Drop for InsideLibssh2 {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Python's `atexit` calls this last: no libssh2 call starts after it, and
/// it waits up to two seconds for the ones under way.
#[pyfunction]
pub fn before_exit(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let until = Instant::now() + Duration::from_secs(2);
        while (INSIDE.load(Ordering::SeqCst) > 0 || DETACHED.load(Ordering::SeqCst) > PARKED.load(Ordering::SeqCst))
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// `py.detach` for every call of ours that releases the GIL: a thread that
/// would come back to Python after `before_exit` parks instead (see above).
pub fn detach<T, F>(py: Python<'_>, f: F) -> T
where
    F: Send + FnOnce() -> T,
    T: Send,
{
    // Counted from before the GIL is released until after it is held again:
    // `before_exit` waits for every counted thread to have parked or to be
    // back in Python, so none is left re-attaching when finalization begins.
    DETACHED.fetch_add(1, Ordering::SeqCst);
    let _leave = Leave;
    py.detach(move || {
        park_if_exiting();
        let result = crate::locks::detached(f);
        park_if_exiting();
        result
    })
}

struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        DETACHED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A thread other than the main one (which runs the exit) never returns to
/// Python once the exit began.
pub fn park_if_exiting() {
    if exiting() && !crate::session::on_main_thread() {
        PARKED.fetch_add(1, Ordering::SeqCst);
        park_forever();
    }
}

/// True once `before_exit` ran.
pub fn exiting() -> bool {
    EXITING.load(Ordering::SeqCst)
}

/// For a thread other than the one running the exit: never return.
pub fn park_forever() -> ! {
    loop {
        std::thread::sleep(Duration::from_hours(1));
    }
}
