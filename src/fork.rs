//! `fork()` after connect: the child must not disturb the parent's session.
//!
//! A forked child shares the parent's TCP socket. Anything the child sends on
//! it (a disconnect, a channel close from libssh2's cleanup when the child's
//! objects are freed) would corrupt the parent's encrypted stream. So after a
//! fork, in the child, every live session's descriptor is pointed at a dead
//! socket pair (the parent's socket is untouched: only the child's descriptor
//! table changes), and every session refuses work (`Shared::is_active`).
//! paramiko asks callers to use `Transport.atfork()`; this makes it automatic,
//! for every fork of the process (a `pthread_atfork` handler: `os.fork`,
//! multiprocessing, C code alike).

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Once;

const SLOTS: usize = 256;
/// Descriptors of live sessions, + 1 (0: empty). Atomics only: safe to read
/// right after fork, whatever other threads held then.
static LIVE: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

pub fn register(fd: i32) {
    for slot in &LIVE {
        if slot
            .compare_exchange(0, fd + 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
    // More than SLOTS sessions at once: that one is not protected after a fork.
}

pub fn unregister(fd: i32) {
    for slot in &LIVE {
        if slot
            .compare_exchange(fd + 1, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
}

/// How many forks this process is away from the one that started: a session
/// made in another generation belongs to another process. An atomic read:
/// cheaper than getpid(2) on every call.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

pub fn generation() -> u64 {
    FORK_GENERATION.load(Ordering::SeqCst)
}

/// Install the fork handler (once per process).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a plain function; it only does async-signal-safe
        // work (atomics, socketpair, dup3, close), as a fork child handler must.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        }
    });
}

extern "C" fn in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
    for slot in &LIVE {
        let fd = slot.load(Ordering::SeqCst) - 1;
        if fd >= 0 {
            blind(fd);
        }
    }
}

/// Point this process's `fd` at a dead socket pair: whatever is sent on it
/// from now on reaches no one, and the real socket is left to the other
/// process that has it.
pub fn blind(fd: i32) {
    let mut pair = [0i32; 2];
    // SAFETY: socketpair fills two descriptors; dup3 replaces only this
    // process's entry for `fd` (another process's copy of the socket stays
    // open), keeping it close-on-exec.
    unsafe {
        if libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            pair.as_mut_ptr(),
        ) == 0
        {
            libc::close(pair[1]);
            libc::dup3(pair[0], fd, libc::O_CLOEXEC);
            libc::close(pair[0]);
        }
    }
}
