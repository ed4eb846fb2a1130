//! `fork()` after connect: the child must not disturb the parent's session.
//!
//! A forked child shares the parent's TCP socket. Anything the child sends on
//! it (a disconnect, a channel close from libssh2's cleanup when the child's
//! objects are freed) would corrupt the parent's encrypted stream. So after a
//! fork, in the child, every live session's descriptor is pointed at a dead
//! socket pair (the parent's socket is untouched: only the child's descriptor
//! table changes), and every session refuses work (`Shared::is_active`).
//! paramiko asks callers to use `Transport.atfork()`; this makes it automatic.

use std::sync::atomic::{AtomicI32, Ordering};

use pyo3::prelude::*;

const SLOTS: usize = 256;
/// Descriptors of live sessions, + 1 (0: empty). Atomics only: safe to read
/// right after fork, whatever other threads held then.
static LIVE: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

pub fn register(fd: i32) {
    for slot in &LIVE {
        if slot.compare_exchange(0, fd + 1, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            return;
        }
    }
    // More than SLOTS sessions at once: that one is not protected after a fork.
}

pub fn unregister(fd: i32) {
    for slot in &LIVE {
        if slot.compare_exchange(fd + 1, 0, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            return;
        }
    }
}

/// Point this process's `fd` at a dead socket pair: whatever is sent on it
/// from now on reaches no one, and the real socket is left to the other
/// process that has it.
pub fn blind(fd: i32) {
    let mut pair = [0i32; 2];
    // SAFETY: socketpair fills two descriptors; dup2 replaces only this
    // process's entry for `fd` (another process's copy of the socket stays open).
    unsafe {
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0, pair.as_mut_ptr()) == 0 {
            libc::close(pair[1]);
            libc::dup2(pair[0], fd);
            libc::close(pair[0]);
        }
    }
}

/// Run in the child after `os.fork()` (ferrosftp registers it with
/// `os.register_at_fork`).
#[pyfunction]
pub fn after_fork_in_child() {
    for slot in &LIVE {
        let fd = slot.load(Ordering::SeqCst) - 1;
        if fd >= 0 {
            blind(fd);
        }
    }
}
