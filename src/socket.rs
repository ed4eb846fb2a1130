//! The connection's socket: the only place that calls the OS on it (wait
//! for readiness, receive, shut down), through `rustix`, whose `poll`,
//! `recv` and `shutdown` are also `WSAPoll`, `recv` and `shutdown` on
//! Windows. libssh2 owns the socket (the `ssh2` session holds the
//! `TcpStream`); we keep its descriptor number.
//!
//! Unix-only for now: `as_socket` borrows a descriptor number, which on
//! Windows would be a `RawSocket`. fork.rs and event_pipe.rs are Unix-only
//! by nature (atfork; a Unix socket pair for paramiko's pipe).

use std::os::fd::BorrowedFd;
use std::os::raw::{c_int, c_void};
use std::time::Duration;

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::net::{recv, RecvFlags, Shutdown};
use ssh2::BlockDirections;

/// The socket behind descriptor `fd`, for one OS call.
///
/// # Safety
/// `fd` must be open for the duration of the borrow: callers pass the
/// descriptor of a session whose `ssh2::Session` (the owner) is alive.
unsafe fn as_socket<'a>(fd: i32) -> BorrowedFd<'a> {
    // SAFETY: the caller guarantees `fd` stays open while borrowed.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Poll `fd` for what libssh2 waits on: always input (replies, data), output
/// too while a packet is half sent. True if it is ready (or in error: the
/// next libssh2 call reports it).
pub fn wait_ready(fd: i32, dirs: BlockDirections, wait: Duration) -> bool {
    let flags = match dirs {
        BlockDirections::Outbound | BlockDirections::Both => PollFlags::IN | PollFlags::OUT,
        BlockDirections::Inbound | BlockDirections::None => PollFlags::IN,
    };
    // SAFETY: the session that owns `fd` outlives its wait room's waits.
    let sock = unsafe { as_socket(fd) };
    let mut fds = [PollFd::new(&sock, flags)];
    let timeout = Timespec::try_from(wait.max(Duration::from_millis(1))).unwrap_or(Timespec { tv_sec: 1, tv_nsec: 0 });
    match poll(&mut fds, Some(&timeout)) {
        Ok(n) => n > 0,
        Err(Errno::INTR) => false,
        Err(_) => true,
    }
}

/// Shut both directions: every later libssh2 call on the socket fails at
/// once instead of waiting.
pub fn shut_down(fd: i32) {
    // SAFETY: called by the session that owns `fd`, while it is alive.
    let _ = rustix::net::shutdown(unsafe { as_socket(fd) }, Shutdown::Both);
}

/// A receive with libssh2's `LIBSSH2_RECV_FUNC` result convention: the byte
/// count, or minus the error number (`-EAGAIN` when nothing is there).
///
/// # Safety
/// `buffer` must point to `length` writable bytes, and `sock` be open.
pub unsafe fn recv_for_libssh2(sock: c_int, buffer: *mut c_void, length: usize, flags: c_int) -> isize {
    // SAFETY: the caller (libssh2) hands a writable buffer of `length` bytes.
    let buf = unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), length) };
    // SAFETY: libssh2 calls this on its live session's socket.
    let sock = unsafe { as_socket(sock) };
    match recv(sock, buf, RecvFlags::from_bits_retain(flags as _)) {
        Ok((n, _)) => n as isize,
        Err(e) if e == Errno::AGAIN || e == Errno::WOULDBLOCK => -(Errno::AGAIN.raw_os_error() as isize),
        Err(e) => -(e.raw_os_error() as isize),
    }
}
