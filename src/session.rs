//! One SSH connection: TCP connect with timeouts, handshake, authentication,
//! keepalive, and the wait loop every network call goes through.
//!
//! libssh2 runs in non-blocking mode; `Shared::run` retries a call until it stops
//! returning EAGAIN, polling the socket in between against *our* deadline (libssh2's
//! own timeout overshoots about 4x). All calls on one session are serialised by
//! `Shared::op`, which is only ever waited on with the GIL released.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use ssh2::{BlockDirections, MethodType};

use crate::channel::Channel;
use crate::error::{is_fatal_transport_code, Error, Result};
use crate::sftp::Sftp;

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
    peer: SocketAddr,
    op: Mutex<()>,
    dead: AtomicBool,
    closed: AtomicBool,
    keepalive_interval: AtomicU32,
    keepalives_sent: AtomicU64,
}

// The raw pointer is only used while `op` is held, which serialises all access.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

/// Poll slice: how often a quiet wait lets Ctrl-C through.
const POLL_SLICE_MS: i32 = 100;

/// Wait until the socket is ready in the directions libssh2 is blocked on.
/// A quiet slice checks Python's signal handlers, so Ctrl-C is not held up by a
/// stalled peer (this needs the GIL: nothing may wait on `op` with the GIL held).
fn wait_socket(fd: i32, dirs: BlockDirections, until: Option<Instant>) -> Result<()> {
    let events = match dirs {
        BlockDirections::Inbound => libc::POLLIN,
        BlockDirections::Outbound => libc::POLLOUT,
        BlockDirections::Both => libc::POLLIN | libc::POLLOUT,
        BlockDirections::None => libc::POLLIN,
    };
    let wait_ms = match until {
        None => POLL_SLICE_MS,
        Some(t) => {
            let now = Instant::now();
            if now >= t {
                return Err(Error::Timeout);
            }
            (t - now).as_millis().clamp(1, POLL_SLICE_MS as u128) as i32
        }
    };
    let mut pfd = libc::pollfd { fd, events, revents: 0 };
    // A short poll is harmless: the caller simply retries the libssh2 call.
    unsafe { libc::poll(&mut pfd, 1, wait_ms) };
    check_signals_now_and_then()
}

/// Python's main thread (pthread id), the only one signal handlers run on. Other
/// threads never attach from the wait loop: one might be a daemon thread still
/// waiting while the interpreter finalizes, where attaching aborts.
static MAIN_THREAD: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

pub fn remember_main_thread(py: Python<'_>) -> PyResult<()> {
    let ident: u64 = py.import("threading")?.call_method0("main_thread")?.getattr("ident")?.extract()?;
    let _ = MAIN_THREAD.set(ident);
    Ok(())
}

fn on_main_thread() -> bool {
    MAIN_THREAD.get().is_some_and(|&main| unsafe { libc::pthread_self() } as u64 == main)
}

thread_local! {
    static LAST_SIGNAL_CHECK: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Run Python's signal handlers at most every POLL_SLICE_MS, busy or idle, so
/// Ctrl-C interrupts a slow but steady transfer too.
fn check_signals_now_and_then() -> Result<()> {
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
    if due && unsafe { pyo3::ffi::Py_IsInitialized() } != 0 {
        Python::attach(|py| py.check_signals())?;
    }
    Ok(())
}

impl Shared {
    /// Hold the operation lock (call with the GIL released).
    pub fn lock(&self) -> Result<MutexGuard<'_, ()>> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::Ssh("SSH session not active".into()));
        }
        Ok(self.op.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Run one libssh2 call to completion under the operation lock.
    pub fn run<T>(&self, until: Option<Instant>, f: impl FnMut() -> Result<T>) -> Result<T> {
        let _guard = self.lock()?;
        self.run_locked(until, f)
    }

    /// As `run`, but give up at once if another call holds the lock. For Drop,
    /// which may run with the GIL held and so must never wait on `op`.
    pub fn try_run<T>(&self, until: Option<Instant>, f: impl FnMut() -> Result<T>) -> Option<Result<T>> {
        if !self.is_active() {
            return None;
        }
        let _guard = self.op.try_lock().ok()?;
        Some(self.run_locked(until, f))
    }

    /// As `run`, for callers already holding the operation lock.
    pub fn run_locked<T>(&self, until: Option<Instant>, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(Error::Dropped("SSH session not active".into()));
        }
        loop {
            match f() {
                Err(Error::Again) => wait_socket(self.fd, self.sess.block_directions(), until)?,
                Err(Error::Ssh(msg)) => {
                    return Err(if self.note_failure() { Error::Dropped(msg) } else { Error::Ssh(msg) });
                }
                other => return other,
            }
        }
    }

    /// Mark the session dead if libssh2 says the transport failed; true if so.
    fn note_failure(&self) -> bool {
        if let Some(err) = ssh2::Error::last_session_error_raw(self.raw) {
            if let ssh2::ErrorCode::Session(code) = err.code() {
                if is_fatal_transport_code(code) {
                    self.dead.store(true, Ordering::SeqCst);
                    return true;
                }
            }
        }
        false
    }

    /// The error libssh2 recorded for the last failed raw call.
    pub fn last_error(&self) -> Error {
        match ssh2::Error::last_session_error_raw(self.raw) {
            Some(e) => e.into(),
            None => Error::Ssh("unknown libssh2 error".into()),
        }
    }

    /// Give up on the connection after a timeout or an interrupt mid-request:
    /// libssh2 cannot resume a half-done request, so nothing more is sent.
    pub fn abort(&self) {
        self.dead.store(true, Ordering::SeqCst);
        unsafe { libc::shutdown(self.fd, libc::SHUT_RDWR) };
    }

    pub fn is_active(&self) -> bool {
        !self.closed.load(Ordering::SeqCst) && !self.dead.load(Ordering::SeqCst)
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let _guard = self.op.lock().unwrap_or_else(|p| p.into_inner());
        if !self.dead.load(Ordering::SeqCst) {
            let until = Some(Instant::now() + Duration::from_millis(500));
            loop {
                match self.sess.disconnect(None, "closed by client", None).map_err(Error::from) {
                    Err(Error::Again) => {
                        if wait_socket(self.fd, self.sess.block_directions(), until).is_err() {
                            break;
                        }
                    }
                    _ => break,
                }
            }
        }
        // After this every libssh2 call fails at once instead of blocking, so the
        // final free (in Drop, maybe with the GIL held) cannot hang.
        unsafe { libc::shutdown(self.fd, libc::SHUT_RDWR) };
        self.dead.store(true, Ordering::SeqCst);
        self.sess.set_blocking(true);
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
    let kept: Vec<&str> = wanted.split(',').map(str::trim).filter(|n| supported.contains(n)).collect();
    if kept.is_empty() {
        return Err(Error::Ssh(format!("Incompatible ssh peer (no acceptable algorithm in {wanted:?})")));
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

/// Connect to the first address that answers, like paramiko's SSHClient.connect.
fn tcp_connect(host: &str, port: u16, timeout: Option<f64>) -> Result<TcpStream> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::Dns(format!("{e}")))?
        .collect();
    let mut errors = Vec::new();
    for addr in &addrs {
        let attempt = match timeout {
            Some(t) => match Duration::try_from_secs_f64(t.max(0.001)) {
                Ok(wait) => TcpStream::connect_timeout(addr, wait),
                Err(_) => TcpStream::connect(addr),
            },
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::WouldBlock => {
                return Err(Error::Timeout)
            }
            Err(e) => errors.push((addr.ip().to_string(), port, e)),
        }
    }
    Err(Error::NoValidConnections { host: host.to_string(), port, errors })
}

/// libssh2's banner and socket send/receive failures (BANNER_RECV, BANNER_SEND,
/// SOCKET_SEND, SOCKET_DISCONNECT, SOCKET_RECV).
fn is_socket_code(e: &ssh2::Error) -> bool {
    matches!(e.code(), ssh2::ErrorCode::Session(-2 | -3 | -7 | -13 | -43))
}

fn handshake(stream: TcpStream, compress: bool, prefs: &std::collections::HashMap<String, String>, until: Option<Instant>) -> Result<Shared> {
    let _ = stream.set_nodelay(true);
    // libssh2's non-blocking mode needs a non-blocking socket underneath.
    stream.set_nonblocking(true)?;
    let fd = stream.as_raw_fd();
    let peer = stream.peer_addr()?;
    let mut sess = ssh2::Session::new()?;
    sess.set_compress(compress);
    apply_prefs(&sess, prefs)?;
    sess.set_tcp_stream(stream);
    sess.set_blocking(false);
    loop {
        let err = match sess.handshake() {
            Ok(()) => break,
            Err(e) => e,
        };
        match Error::from(&err) {
            Error::Again => match wait_socket(fd, sess.block_directions(), until) {
                Err(Error::Timeout) => {
                    return Err(Error::Ssh("Error reading SSH protocol banner: timed out".into()))
                }
                other => other?,
            },
            // The socket failed before the first packet: the peer reset or closed.
            Error::Ssh(msg) if is_socket_code(&err) => return Err(Error::ResetDuringConnect(msg)),
            Error::Ssh(msg) => return Err(Error::Ssh(format!("Error during SSH handshake: {msg}"))),
            e => return Err(e),
        }
    }
    let raw = {
        let mut guard = sess.raw();
        &mut *guard as *mut libssh2_sys::LIBSSH2_SESSION
    };
    Ok(Shared {
        sess,
        raw,
        fd,
        peer,
        op: Mutex::new(()),
        dead: AtomicBool::new(false),
        closed: AtomicBool::new(false),
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
        if last_sent.elapsed() < Duration::from_secs(interval as u64) {
            continue;
        }
        let guard = shared.op.try_lock();
        // libssh2 answers `interval` only when it really sent one just now.
        if guard.is_ok() && shared.sess.keepalive_send().ok() == Some(interval) {
            last_sent = Instant::now();
            shared.keepalives_sent.fetch_add(1, Ordering::SeqCst);
        }
        drop(guard);
    }
}

fn auth_error(e: Error) -> Error {
    match e {
        Error::Ssh(msg) if msg.contains("Authentication failed") || msg.contains("Username/PublicKey combination invalid") || msg.contains("Invalid signature") || msg.contains("unverified") => {
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
        py.detach(|| self.shared.run(until, f)).map_err(auth_error).map_err(PyErr::from)
    }
}

#[pymethods]
impl Session {
    #[staticmethod]
    #[pyo3(signature = (host, port, connect_timeout, handshake_timeout, compress, prefs))]
    fn connect(
        py: Python<'_>,
        host: String,
        port: u16,
        connect_timeout: Option<f64>,
        handshake_timeout: Option<f64>,
        compress: bool,
        prefs: std::collections::HashMap<String, String>,
    ) -> PyResult<Session> {
        let (connect_timeout, handshake_timeout) = (check_timeout(connect_timeout)?, check_timeout(handshake_timeout)?);
        let shared = py.detach(|| -> Result<Shared> {
            let stream = tcp_connect(&host, port, connect_timeout)?;
            handshake(stream, compress, &prefs, deadline(handshake_timeout))
        })?;
        log::debug!(target: "ferrosftp.transport", "connected to {}:{}", host, port);
        Ok(Session { shared: Arc::new(shared) })
    }

    /// Handshake over a TCP socket the caller connected; takes ownership of `fd`.
    #[staticmethod]
    #[pyo3(signature = (fd, handshake_timeout, compress, prefs))]
    fn handshake_fd(
        py: Python<'_>,
        fd: i32,
        handshake_timeout: Option<f64>,
        compress: bool,
        prefs: std::collections::HashMap<String, String>,
    ) -> PyResult<Session> {
        let handshake_timeout = check_timeout(handshake_timeout)?;
        let stream = unsafe { TcpStream::from_raw_fd(fd) };
        let shared = py.detach(|| handshake(stream, compress, &prefs, deadline(handshake_timeout)))?;
        Ok(Session { shared: Arc::new(shared) })
    }

    fn host_key(&self, py: Python<'_>) -> PyResult<(String, Vec<u8>)> {
        let blob = py.detach(|| -> Result<Vec<u8>> {
            let _g = self.shared.lock()?;
            let (blob, _) = self.shared.sess.host_key().ok_or_else(|| Error::Ssh("no host key".into()))?;
            Ok(blob.to_vec())
        })?;
        let (name, _) = crate::keys::blob_info(&blob)?;
        Ok((name, blob))
    }

    fn negotiated(&self, py: Python<'_>, kind: &str) -> PyResult<Option<String>> {
        let mt = method_type(kind)?;
        Ok(py.detach(|| -> Result<Option<String>> {
            let _g = self.shared.lock()?;
            Ok(self.shared.sess.methods(mt).map(str::to_string))
        })?)
    }

    fn banner(&self) -> Option<String> {
        self.shared.sess.banner().map(str::to_string)
    }

    fn peer(&self) -> (String, u16) {
        (self.shared.peer.ip().to_string(), self.shared.peer.port())
    }

    fn auth_methods(&self, py: Python<'_>, username: String, timeout: Option<f64>) -> PyResult<Option<Vec<String>>> {
        let timeout = check_timeout(timeout)?;
        let until = deadline(timeout);
        let sess = &self.shared.sess;
        let list = py.detach(|| self.shared.run(until, || Ok(sess.auth_methods(&username)?.to_string())))
            .map_err(auth_error)?;
        if sess.authenticated() {
            return Ok(None);
        }
        Ok(Some(list.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()))
    }

    fn auth_password(&self, py: Python<'_>, username: String, password: String, timeout: Option<f64>) -> PyResult<()> {
        let sess = &self.shared.sess;
        self.auth_run(py, timeout, || Ok(sess.userauth_password(&username, &password)?))
    }

    fn auth_keyboard_interactive(&self, py: Python<'_>, username: String, password: String, timeout: Option<f64>) -> PyResult<()> {
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
        py.detach(|| -> Result<()> {
            let _guard = shared.lock()?;
            let mut agent = shared.sess.agent()?;
            agent.connect().map_err(|e| Error::Auth(format!("no ssh-agent: {}", e.message())))?;
            agent.list_identities()?;
            for identity in agent.identities()? {
                match shared.run_locked(until, || Ok(agent.userauth(&username, &identity)?)) {
                    Ok(()) => return Ok(()),
                    Err(Error::Timeout) => return Err(Error::Timeout),
                    Err(_) if shared.is_active() => continue,
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
        py.detach(|| -> Result<()> {
            let _g = self.shared.lock()?;
            self.shared.sess.set_keepalive(false, interval);
            Ok(())
        })?;
        let previous = self.shared.keepalive_interval.swap(interval, Ordering::SeqCst);
        if interval > 0 && previous == 0 {
            let weak = Arc::downgrade(&self.shared);
            std::thread::Builder::new()
                .name("ferrosftp-keepalive".into())
                .spawn(move || keepalive_loop(weak))
                .ok();
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

    fn open_sftp(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Sftp> {
        let timeout = check_timeout(timeout)?;
        Sftp::start(py, &self.shared, timeout)
    }

    fn close(&self, py: Python<'_>) {
        py.detach(|| self.shared.close());
    }
}

/// Algorithms this libssh2 build implements.
#[pyfunction]
pub fn supported_algorithms(kind: &str) -> PyResult<Vec<String>> {
    let sess = ssh2::Session::new().map_err(Error::from)?;
    let names = sess.supported_algs(method_type(kind)?).map_err(Error::from)?;
    Ok(names.into_iter().map(str::to_string).collect())
}
