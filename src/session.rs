//! One SSH connection: TCP connect with timeouts, handshake, authentication,
//! keepalive, and the wait loop every network call goes through.
//!
//! libssh2 runs in non-blocking mode; `Shared::run` retries a call until it stops
//! returning EAGAIN, polling the socket in between against *our* deadline (libssh2's
//! own timeout overshoots about 4x). All calls on one session are serialised by
//! `Shared::op`, which is only ever waited on with the GIL released.

use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, MutexGuard, Weak};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use ssh2::{BlockDirections, MethodType};

use crate::channel::{Channel, ChannelInner};
use crate::error::{code, Error, Result};
use crate::locks::{Brief, WaitLock};
use crate::progress::{install_counting_recv, socket_activity, Progress, POLL_SLICE_MS};
use crate::sftp::Sftp;
use crate::shutdown::InsideLibssh2;

/// Validate a timeout from Python as `socket.settimeout` does: NaN and negative
/// values are a ValueError; inf or a huge value means "no deadline".
pub fn check_timeout(timeout: Option<f64>) -> Result<Option<f64>> {
    match timeout {
        Some(t) if t.is_nan() => Err(Error::Value("Invalid value NaN (not a number)".into())),
        Some(t) if t < 0.0 => Err(Error::Value("Timeout value out of range".into())),
        other => Ok(other),
    }
}

/// A deadline from an optional timeout in seconds. Never panics: the Python
/// layer rejects NaN and negative values; a timeout too large to represent
/// (inf, 1e300) means no deadline, and NaN that slipped through means "now".
pub fn deadline(timeout: Option<f64>) -> Option<Instant> {
    let t = timeout?;
    if t.is_nan() {
        return Some(Instant::now());
    }
    let wait = Duration::try_from_secs_f64(t.max(0.0)).ok()?;
    Instant::now().checked_add(wait)
}

/// State shared by a session and every channel, SFTP client and file opened on it.
pub struct Shared {
    pub sess: ssh2::Session,
    pub raw: *mut libssh2_sys::LIBSSH2_SESSION,
    fd: i32,
    /// None over a ProxyCommand or a bridge.
    peer: Option<SocketAddr>,
    /// Held for one non-blocking libssh2 call at a time, never while waiting.
    op: WaitLock<()>,
    /// Held across a whole multi-step call whose state libssh2 keeps per
    /// session (channel open, authentication) and across a `Channel`'s
    /// requests (channel.rs), so two of them never run at once. Other calls
    /// go on meanwhile: only the operation lock serialises libssh2 itself.
    setup: WaitLock<()>,
    /// The shortest SFTP request round trip seen on any channel, in
    /// microseconds (u64::MAX: none yet): how far the server is, known
    /// before a transfer starts.
    round_trip_us: AtomicU64,
    progress: Progress,
    /// Channels whose `fileno()` pipe the watcher keeps current (watch.rs).
    pub watched: Brief<Vec<Weak<ChannelInner>>>,
    pub watcher_running: AtomicBool,
    dead: AtomicBool,
    closed: AtomicBool,
    /// The fork generation that connected: after a fork the child must not
    /// touch the connection (fork.rs).
    fork_generation: u64,
    keepalive_interval: AtomicU32,
    keepalives_sent: AtomicU64,
}

// SAFETY: the raw pointer is only used while `op` is held, which serialises all access.
unsafe impl Send for Shared {}
// SAFETY: as for Send: every use of the raw pointer is under `op`.
unsafe impl Sync for Shared {}

/// Python's main thread (pthread id), the only one signal handlers run on. Other
/// threads never attach from the wait loop: one might be a daemon thread still
/// waiting while the interpreter finalizes, where attaching aborts.
static MAIN_THREAD: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

pub fn remember_main_thread(py: Python<'_>) -> PyResult<()> {
    let ident: u64 = py
        .import("threading")?
        .call_method0("main_thread")?
        .getattr("ident")?
        .extract()?;
    let _ = MAIN_THREAD.set(ident);
    Ok(())
}

pub fn on_main_thread() -> bool {
    // SAFETY: pthread_self has no preconditions and cannot fail.
    MAIN_THREAD
        .get()
        .is_some_and(|&main| unsafe { libc::pthread_self() } as u64 == main)
}

thread_local! {
    static LAST_SIGNAL_CHECK: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Run Python's signal handlers at most every POLL_SLICE_MS, busy or idle, so
/// Ctrl-C interrupts a slow but steady transfer too.
pub(crate) fn check_signals_now_and_then() -> Result<()> {
    if !on_main_thread() {
        return Ok(());
    }
    let due = LAST_SIGNAL_CHECK.with(|last| match last.get() {
        Some(t) if t.elapsed() < Duration::from_millis(POLL_SLICE_MS as u64) => false,
        _ => {
            last.set(Some(Instant::now()));
            true
        }
    });
    // SAFETY: Py_IsInitialized may be called at any time, GIL or not.
    if due && unsafe { pyo3::ffi::Py_IsInitialized() } != 0 {
        crate::locks::attach(|py| py.check_signals())?;
    }
    Ok(())
}

impl Shared {
    /// Hold the operation lock for one instant, non-network call (call with
    /// the GIL released).
    pub fn lock(&self) -> Result<MutexGuard<'_, ()>> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::Ssh("SSH session not active".into()));
        }
        self.op.lock()
    }

    /// A round trip measured on this connection (an SFTP request and its
    /// reply: an upper bound, the shortest is kept).
    pub fn note_round_trip(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX - 1);
        self.round_trip_us.fetch_min(us, Ordering::SeqCst);
    }

    /// The shortest round trip seen on this connection, if any.
    pub fn round_trip(&self) -> Option<Duration> {
        let us = self.round_trip_us.load(Ordering::SeqCst);
        (us != u64::MAX).then(|| Duration::from_micros(us))
    }

    /// Hold the setup lock across a multi-step call with per-session state in
    /// libssh2 (call with the GIL released).
    pub fn setup_lock(&self) -> Result<MutexGuard<'_, ()>> {
        self.setup.lock()
    }

    /// Run one libssh2 call to completion: each try holds the operation lock
    /// only while libssh2 runs; between tries the caller waits for the
    /// connection to move, holding nothing (see progress.rs).
    pub fn run<T>(&self, until: Option<Instant>, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::Ssh("SSH session not active".into()));
        }
        let mut owns_half_sent = false;
        loop {
            let seen = self.progress.generation();
            let result = {
                let _op = self.op.lock()?;
                self.attempt(&mut f, &mut owns_half_sent)
            };
            crate::shutdown::park_if_exiting();
            match result {
                Err(Error::Again) => {}
                other => return other,
            }
            if let Err(e) = self
                .progress
                .wait(self.fd, seen, || self.sess.block_directions(), until)
                .and_then(|()| check_signals_now_and_then())
            {
                if owns_half_sent {
                    // libssh2 only finishes a half-sent packet when the call that
                    // started it is repeated with the same data, and nothing else
                    // can be sent before: the connection cannot go on.
                    self.abort();
                }
                return Err(e);
            }
        }
    }

    /// As `run`, but never waits for the operation lock: for Drop, which may
    /// hold the GIL. None if the session is busy right now or gone.
    pub fn try_run<T>(&self, until: Option<Instant>, mut f: impl FnMut() -> Result<T>) -> Option<Result<T>> {
        if !self.is_active() {
            return None;
        }
        let mut owns_half_sent = false;
        loop {
            let seen = self.progress.generation();
            let result = {
                let _op = self.op.try_lock()?;
                self.attempt(&mut f, &mut owns_half_sent)
            };
            match result {
                Err(Error::Again) => {}
                other => return Some(other),
            }
            if let Err(e) = self
                .progress
                .wait(self.fd, seen, || self.sess.block_directions(), until)
            {
                if owns_half_sent {
                    self.abort();
                }
                return Some(Err(e));
            }
        }
    }

    /// One try of a libssh2 call, under the operation lock. Wakes the other
    /// waiters when the connection moved, and keeps track of whether this
    /// caller owns a half-sent packet (see `run`).
    fn attempt<T>(&self, f: &mut impl FnMut() -> Result<T>, owns_half_sent: &mut bool) -> Result<T> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(Error::Dropped("SSH session not active".into()));
        }
        if !self.in_owner_process() {
            return Err(Error::Dropped(
                "the connection belongs to the process that opened it (used after fork)".into(),
            ));
        }
        let Some(_inside) = InsideLibssh2::enter() else {
            return Err(Error::Dropped("the interpreter is exiting".into()));
        };
        let was_sending = self.sending();
        let read_before = socket_activity(self.fd);
        let result = f();
        let still_sending = self.sending();
        let would_block = matches!(result, Err(Error::Again));
        if would_block && still_sending && !was_sending {
            *owns_half_sent = true;
        } else if !still_sending {
            *owns_half_sent = false;
        }
        if !would_block || (was_sending && !still_sending) || socket_activity(self.fd) != read_before {
            self.progress.bump();
        }
        match result {
            Err(Error::Libssh2 { code, msg }) if code::FATAL.contains(&code) => {
                self.dead.store(true, Ordering::SeqCst);
                Err(Error::Dropped(msg))
            }
            // ssh2's Read/Write keep only libssh2's text in their io::Error
            // (channel::io_to_error): the code is libssh2's last error.
            Err(Error::Ssh(msg)) if self.note_failure() => Err(Error::Dropped(msg)),
            other => other,
        }
    }

    /// True while libssh2 holds a half-sent packet (it waits to send).
    pub fn sending(&self) -> bool {
        matches!(
            self.sess.block_directions(),
            BlockDirections::Outbound | BlockDirections::Both
        )
    }

    /// The wait room's generation (see progress.rs).
    pub fn generation(&self) -> u64 {
        self.progress.generation()
    }

    /// One round of the watcher: `f` runs under the operation lock, and the
    /// waiters are woken if it read anything. False once the session is gone.
    pub fn pump_once(&self, f: impl FnOnce()) -> bool {
        let Ok(_op) = self.op.lock() else { return false };
        if !self.is_active() {
            return false;
        }
        let Some(_inside) = InsideLibssh2::enter() else {
            return false;
        };
        let read_before = socket_activity(self.fd);
        f();
        if socket_activity(self.fd) != read_before {
            self.progress.bump();
        }
        true
    }

    /// Wait, holding nothing, until the connection moves past `seen` (or one
    /// poll slice).
    pub fn wait_for_progress(&self, seen: u64) {
        let _ = self.progress.wait(self.fd, seen, || self.sess.block_directions(), None);
    }

    /// One try at closing a channel, for `run`: done once CHANNEL_CLOSE is
    /// sent. The server's own close may wait (for a command to end), so it
    /// is not waited for, as paramiko does not.
    pub fn send_close(&self, chan: &mut ssh2::Channel) -> Result<()> {
        match chan.close().map_err(Error::from) {
            Err(Error::Again) if !self.sending() => Ok(()),
            other => other,
        }
    }

    /// Free a channel. The `ssh2` crate's `Drop` for a channel calls
    /// `libssh2_channel_free` without its session lock, racing every other
    /// thread's libssh2 call on the session (a segfault, seen in the
    /// many-threads test): every channel is dropped here, under that lock.
    pub fn free_channel(&self, chan: ssh2::Channel) {
        let _libssh2 = self.sess.raw();
        drop(chan);
    }

    /// Mark the session dead if libssh2 says the transport failed; true if so.
    fn note_failure(&self) -> bool {
        // libssh2 frees and replaces its error message on other threads' calls
        let _libssh2 = self.sess.raw();
        if let Some(err) = ssh2::Error::last_session_error_raw(self.raw) {
            if let ssh2::ErrorCode::Session(code) = err.code() {
                if code::FATAL.contains(&code) {
                    self.dead.store(true, Ordering::SeqCst);
                    return true;
                }
            }
        }
        false
    }

    /// The error libssh2 recorded for the last failed raw call.
    pub fn last_error(&self) -> Error {
        let _libssh2 = self.sess.raw();
        match ssh2::Error::last_session_error_raw(self.raw) {
            Some(e) => e.into(),
            None => Error::Ssh("unknown libssh2 error".into()),
        }
    }

    /// Give up on the connection after a timeout or an interrupt mid-request:
    /// libssh2 cannot resume a half-done request, so nothing more is sent.
    pub fn abort(&self) {
        self.dead.store(true, Ordering::SeqCst);
        if self.in_owner_process() {
            crate::socket::shut_down(self.fd);
        }
        self.progress.bump();
    }

    pub fn is_active(&self) -> bool {
        !self.closed.load(Ordering::SeqCst) && !self.dead.load(Ordering::SeqCst) && self.in_owner_process()
    }

    /// Stop using the connection without sending anything (atfork).
    fn abandon(&self) {
        let _op = self.op.lock();
        self.dead.store(true, Ordering::SeqCst);
        self.closed.store(true, Ordering::SeqCst);
        if self.in_owner_process() {
            crate::fork::unregister(self.fd);
        }
        crate::fork::blind(self.fd);
        drop(_op);
        self.progress.bump();
    }

    /// True once closed by us (not merely dropped by the peer).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// False in a child forked after the connection was made.
    fn in_owner_process(&self) -> bool {
        crate::fork::generation() == self.fork_generation
    }

    /// The operation lock for `close`: waited for when detached (Python's
    /// `close()`); in `Drop`, which may hold the GIL, nobody else can hold it
    /// (the last reference is going), so trying is enough.
    fn op_for_close(&self) -> Option<MutexGuard<'_, ()>> {
        self.op.lock().ok().or_else(|| self.op.try_lock())
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        if !self.in_owner_process() {
            // A forked child: the connection is the parent's. Send nothing,
            // shut nothing down (fork.rs pointed our descriptor elsewhere).
            self.dead.store(true, Ordering::SeqCst);
            return;
        }
        crate::fork::unregister(self.fd);
        if !self.dead.load(Ordering::SeqCst) {
            // Best effort, briefly: the peer may be gone or a packet half sent.
            let until = Some(Instant::now() + Duration::from_millis(500));
            let mut owns_half_sent = false;
            loop {
                let seen = self.progress.generation();
                let sent = {
                    let Some(_op) = self.op_for_close() else { break };
                    self.attempt(
                        &mut || Ok(self.sess.disconnect(None, "closed by client", None)?),
                        &mut owns_half_sent,
                    )
                };
                if !matches!(sent, Err(Error::Again))
                    || self
                        .progress
                        .wait(self.fd, seen, || self.sess.block_directions(), until)
                        .is_err()
                {
                    break;
                }
            }
        }
        let _op = self.op_for_close();
        // After this every libssh2 call fails at once instead of blocking, so the
        // final free (in Drop, maybe with the GIL held) cannot hang.
        crate::socket::shut_down(self.fd);
        self.dead.store(true, Ordering::SeqCst);
        // A packet another caller left half sent makes libssh2 answer EAGAIN
        // to every later send, shut socket or not; in blocking mode that
        // would spin for ever. libssh2's own timeout ends such a call.
        self.sess.set_timeout(1000);
        self.sess.set_blocking(true);
        drop(_op);
        // Wake every waiter: their next try fails at once.
        self.progress.bump();
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.close();
    }
}

fn method_type(kind: &str) -> Result<MethodType> {
    Ok(match kind {
        "kex" => MethodType::Kex,
        "hostkey" => MethodType::HostKey,
        "cipher" | "cipher_cs" => MethodType::CryptCs,
        "cipher_sc" => MethodType::CryptSc,
        "mac" | "mac_cs" => MethodType::MacCs,
        "mac_sc" => MethodType::MacSc,
        "compression" | "comp_cs" => MethodType::CompCs,
        "comp_sc" => MethodType::CompSc,
        _ => return Err(Error::Ssh(format!("unknown algorithm kind {kind:?}"))),
    })
}

/// Keep only the names libssh2 supports, in the caller's order.
fn filter_supported(sess: &ssh2::Session, kind: MethodType, wanted: &str) -> Result<String> {
    let supported = sess.supported_algs(kind)?;
    let kept: Vec<&str> = wanted
        .split(',')
        .map(str::trim)
        .filter(|n| supported.contains(n))
        .collect();
    if kept.is_empty() {
        return Err(Error::Ssh(format!(
            "Incompatible ssh peer (no acceptable algorithm in {wanted:?})"
        )));
    }
    Ok(kept.join(","))
}

fn apply_prefs(sess: &ssh2::Session, prefs: &std::collections::HashMap<String, String>) -> Result<()> {
    for (kind, wanted) in prefs {
        let pairs: &[MethodType] = match kind.as_str() {
            "kex" => &[MethodType::Kex],
            "hostkey" => &[MethodType::HostKey],
            "cipher" => &[MethodType::CryptCs, MethodType::CryptSc],
            "mac" => &[MethodType::MacCs, MethodType::MacSc],
            "compression" => &[MethodType::CompCs, MethodType::CompSc],
            _ => return Err(Error::Ssh(format!("unknown algorithm kind {kind:?}"))),
        };
        for mt in pairs {
            let list = filter_supported(sess, *mt, wanted)?;
            sess.method_pref(*mt, &list)?;
        }
    }
    Ok(())
}

/// libssh2's banner and socket send/receive failures (BANNER_RECV, BANNER_SEND,
/// SOCKET_SEND, SOCKET_DISCONNECT, SOCKET_RECV).
/// The connection's socket: TCP, or one end of a Unix socket pair whose
/// other end is a ProxyCommand or a bridge to a socket-like object (proxy.py).
pub enum Socket {
    Tcp(TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

fn handshake(
    socket: Socket,
    compress: bool,
    prefs: &std::collections::HashMap<String, String>,
    until: Option<Instant>,
) -> Result<Shared> {
    // libssh2's non-blocking mode needs a non-blocking socket underneath.
    let (fd, peer) = match &socket {
        Socket::Tcp(stream) => {
            let _ = stream.set_nodelay(true);
            stream.set_nonblocking(true)?;
            (stream.as_raw_fd(), Some(stream.peer_addr()?))
        }
        Socket::Unix(stream) => {
            stream.set_nonblocking(true)?;
            (stream.as_raw_fd(), None)
        }
    };
    let mut sess = ssh2::Session::new()?;
    sess.set_compress(compress);
    apply_prefs(&sess, prefs)?;
    match socket {
        Socket::Tcp(stream) => sess.set_tcp_stream(stream),
        Socket::Unix(stream) => sess.set_tcp_stream(stream),
    }
    sess.set_blocking(false);
    let raw = {
        let mut guard = sess.raw();
        std::ptr::from_mut::<libssh2_sys::LIBSSH2_SESSION>(&mut *guard)
    };
    install_counting_recv(raw);
    let progress = Progress::new();
    loop {
        let err = match sess.handshake() {
            Ok(()) => break,
            Err(e) => e,
        };
        match Error::from(&err) {
            Error::Again => match progress
                .wait(fd, 0, || sess.block_directions(), until)
                .and_then(|()| check_signals_now_and_then())
            {
                Err(Error::Timeout) => return Err(Error::Ssh("Error reading SSH protocol banner: timed out".into())),
                other => other?,
            },
            // The socket failed before the first packet: the peer reset or closed.
            Error::Libssh2 { code, msg } if code::SOCKET.contains(&code) => return Err(Error::ResetDuringConnect(msg)),
            Error::Libssh2 { msg, .. } => return Err(Error::Ssh(format!("Error during SSH handshake: {msg}"))),
            e => return Err(e),
        }
    }
    crate::fork::register(fd);
    Ok(Shared {
        sess,
        raw,
        fd,
        peer,
        op: WaitLock::new(()),
        setup: WaitLock::new(()),
        round_trip_us: AtomicU64::new(u64::MAX),
        progress,
        watched: Brief::new(Vec::new()),
        watcher_running: AtomicBool::new(false),
        dead: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        fork_generation: crate::fork::generation(),
        keepalive_interval: AtomicU32::new(0),
        keepalives_sent: AtomicU64::new(0),
    })
}

/// Send keepalives while the session lives; never contends with a running call.
fn keepalive_loop(shared: Weak<Shared>) {
    let mut last_sent = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let Some(shared) = shared.upgrade() else { return };
        let interval = shared.keepalive_interval.load(Ordering::SeqCst);
        if interval == 0 || !shared.is_active() {
            return;
        }
        if last_sent.elapsed() < Duration::from_secs(u64::from(interval)) {
            continue;
        }
        let guard = shared.op.try_lock();
        let Some(_inside) = InsideLibssh2::enter() else { return };
        if guard.is_none() {
            continue; // a call is running: the connection is in use anyway
        }
        match shared.sess.keepalive_send() {
            // libssh2 answers `interval` only when it really sent one just now
            Ok(sent) if sent == interval => {
                last_sent = Instant::now();
                shared.keepalives_sent.fetch_add(1, Ordering::SeqCst);
            }
            Ok(_) => {}
            // a reset or closed socket: the connection is dead, say so now
            // (Transport.is_active(), paramiko's `active`) and wake the waiters
            Err(_) if shared.note_failure() => shared.progress.bump(),
            Err(_) => {}
        }
        drop(guard);
    }
}

fn auth_error(e: Error) -> Error {
    match e {
        Error::Libssh2 { code, .. } if code == code::AUTHENTICATION_FAILED || code == code::PUBLICKEY_UNVERIFIED => {
            Error::Auth("Authentication failed.".into())
        }
        Error::Timeout => Error::Auth("Authentication timeout.".into()),
        other => other,
    }
}

struct PasswordPrompter<'a>(&'a str);

impl ssh2::KeyboardInteractivePrompt for PasswordPrompter<'_> {
    fn prompt<'b>(&mut self, _username: &str, _instructions: &str, prompts: &[ssh2::Prompt<'b>]) -> Vec<String> {
        prompts.iter().map(|_| self.0.to_string()).collect()
    }
}

/// An authenticated (or authenticating) SSH connection.
#[pyclass(module = "ferrosftp._native", frozen)]
pub struct Session {
    pub shared: Arc<Shared>,
}

impl Session {
    fn auth_run(&self, py: Python<'_>, timeout: Option<f64>, f: impl FnMut() -> Result<()> + Send) -> PyResult<()> {
        let timeout = check_timeout(timeout)?;
        let until = deadline(timeout);
        crate::shutdown::detach(py, || {
            let _setup = self.shared.setup_lock();
            self.shared.run(until, f)
        })
        .map_err(auth_error)
        .map_err(PyErr::from)
    }
}

#[pymethods]
impl Session {
    /// Handshake over a connected stream socket; takes ownership of `fd`.
    /// `unix`: one end of a Unix socket pair (ProxyCommand, bridge), else TCP.
    #[staticmethod]
    #[pyo3(signature = (fd, handshake_timeout, compress, prefs, unix=false))]
    fn handshake_fd(
        py: Python<'_>,
        fd: i32,
        handshake_timeout: Option<f64>,
        compress: bool,
        prefs: std::collections::HashMap<String, String>,
        unix: bool,
    ) -> PyResult<Session> {
        let handshake_timeout = check_timeout(handshake_timeout)?;
        // SAFETY: the caller (Transport.start_client) hands over a connected
        // socket it has detached, so this stream is the descriptor's only owner.
        let socket = unsafe {
            if unix {
                Socket::Unix(std::os::unix::net::UnixStream::from_raw_fd(fd))
            } else {
                Socket::Tcp(TcpStream::from_raw_fd(fd))
            }
        };
        let shared = crate::shutdown::detach(py, || handshake(socket, compress, &prefs, deadline(handshake_timeout)))?;
        Ok(Session {
            shared: Arc::new(shared),
        })
    }

    fn host_key(&self, py: Python<'_>) -> PyResult<(String, Vec<u8>)> {
        let blob = crate::shutdown::detach(py, || -> Result<Vec<u8>> {
            let _g = self.shared.lock()?;
            let (blob, _) = self
                .shared
                .sess
                .host_key()
                .ok_or_else(|| Error::Ssh("no host key".into()))?;
            Ok(blob.to_vec())
        })?;
        let (name, _) = crate::keys::blob_info(&blob)?;
        Ok((name, blob))
    }

    fn negotiated(&self, py: Python<'_>, kind: &str) -> PyResult<Option<String>> {
        let mt = method_type(kind)?;
        Ok(crate::shutdown::detach(py, || -> Result<Option<String>> {
            let _g = self.shared.lock()?;
            Ok(self.shared.sess.methods(mt).map(str::to_string))
        })?)
    }

    fn banner(&self) -> Option<String> {
        self.shared.sess.banner().map(str::to_string)
    }

    /// The server's address; None over a ProxyCommand or a bridge.
    fn peer(&self) -> Option<(String, u16)> {
        self.shared.peer.map(|p| (p.ip().to_string(), p.port()))
    }

    fn auth_methods(&self, py: Python<'_>, username: String, timeout: Option<f64>) -> PyResult<Option<Vec<String>>> {
        let timeout = check_timeout(timeout)?;
        let until = deadline(timeout);
        let sess = &self.shared.sess;
        let list = crate::shutdown::detach(py, || {
            let _setup = self.shared.setup_lock();
            self.shared.run(until, || Ok(sess.auth_methods(&username)?.to_string()))
        })
        .map_err(auth_error)?;
        if sess.authenticated() {
            return Ok(None);
        }
        Ok(Some(
            list.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        ))
    }

    fn auth_password(&self, py: Python<'_>, username: String, password: String, timeout: Option<f64>) -> PyResult<()> {
        let sess = &self.shared.sess;
        self.auth_run(py, timeout, || Ok(sess.userauth_password(&username, &password)?))
    }

    fn auth_keyboard_interactive(
        &self,
        py: Python<'_>,
        username: String,
        password: String,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let sess = &self.shared.sess;
        self.auth_run(py, timeout, || {
            Ok(sess.userauth_keyboard_interactive(&username, &mut PasswordPrompter(&password))?)
        })
    }

    #[pyo3(signature = (username, private_key, passphrase, timeout))]
    fn auth_publickey(
        &self,
        py: Python<'_>,
        username: String,
        private_key: Vec<u8>,
        passphrase: Option<Vec<u8>>,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let key = String::from_utf8(private_key).map_err(|_| Error::Ssh("private key is not text".into()))?;
        let pass = passphrase.map(|p| String::from_utf8_lossy(&p).into_owned());
        let sess = &self.shared.sess;
        self.auth_run(py, timeout, || {
            Ok(sess.userauth_pubkey_memory(&username, None, &key, pass.as_deref())?)
        })
    }

    fn auth_agent(&self, py: Python<'_>, username: String, timeout: Option<f64>) -> PyResult<()> {
        let timeout = check_timeout(timeout)?;
        let until = deadline(timeout);
        let shared = &self.shared;
        crate::shutdown::detach(py, || -> Result<()> {
            let _setup = shared.setup_lock();
            let mut agent = shared.sess.agent()?;
            agent
                .connect()
                .map_err(|e| Error::Auth(format!("no ssh-agent: {}", e.message())))?;
            agent.list_identities()?;
            for identity in agent.identities()? {
                match shared.run(until, || Ok(agent.userauth(&username, &identity)?)) {
                    Ok(()) => return Ok(()),
                    Err(Error::Timeout) => return Err(Error::Timeout),
                    Err(_) if shared.is_active() => {}
                    Err(e) => return Err(e),
                }
            }
            Err(Error::Auth("Authentication failed.".into()))
        })
        .map_err(auth_error)?;
        Ok(())
    }

    fn is_authenticated(&self) -> bool {
        self.shared.is_active() && self.shared.sess.authenticated()
    }

    fn is_active(&self) -> bool {
        self.shared.is_active()
    }

    fn set_keepalive(&self, py: Python<'_>, interval: u32) -> PyResult<()> {
        crate::shutdown::detach(py, || -> Result<()> {
            let _g = self.shared.lock()?;
            self.shared.sess.set_keepalive(false, interval);
            Ok(())
        })?;
        let previous = self.shared.keepalive_interval.swap(interval, Ordering::SeqCst);
        if interval > 0 && previous == 0 {
            let weak = Arc::downgrade(&self.shared);
            crate::locks::spawn("ferrosftp-keepalive", move || keepalive_loop(weak)).ok();
        }
        Ok(())
    }

    fn keepalives_sent(&self) -> u64 {
        self.shared.keepalives_sent.load(Ordering::SeqCst)
    }

    fn open_channel(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Channel> {
        let timeout = check_timeout(timeout)?;
        Channel::open_session(py, &self.shared, timeout)
    }

    fn open_direct_tcpip(&self, py: Python<'_>, host: String, port: u16, timeout: Option<f64>) -> PyResult<Channel> {
        let timeout = check_timeout(timeout)?;
        Channel::open_direct_tcpip(py, &self.shared, &host, port, timeout)
    }

    /// Ask the server to listen on `address:port` and forward what it
    /// accepts there to us (port 0: the server chooses; see `Listener.port`).
    #[pyo3(signature = (address, port, timeout=None))]
    fn forward_listen(
        &self,
        py: Python<'_>,
        address: String,
        port: u16,
        timeout: Option<f64>,
    ) -> PyResult<crate::forward::Listener> {
        let timeout = check_timeout(timeout)?;
        crate::forward::Listener::listen(py, &self.shared, &address, port, timeout)
    }

    fn open_sftp(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Sftp> {
        let timeout = check_timeout(timeout)?;
        Sftp::start(py, &self.shared, timeout)
    }

    fn close(&self, py: Python<'_>) {
        crate::shutdown::detach(py, || self.shared.close());
    }

    /// paramiko's `Transport.atfork()`: end this connection here without a
    /// word to the server, leaving it to the other process that shares it.
    fn abandon(&self, py: Python<'_>) {
        crate::shutdown::detach(py, || self.shared.abandon());
    }
}

/// Algorithms this libssh2 build implements.
#[pyfunction]
pub fn supported_algorithms(kind: &str) -> PyResult<Vec<String>> {
    let sess = ssh2::Session::new().map_err(Error::from)?;
    let names = sess.supported_algs(method_type(kind)?).map_err(Error::from)?;
    Ok(names.into_iter().map(str::to_string).collect())
}
