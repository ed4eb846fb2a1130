//! Thin safe wrappers over libssh2's SFTP functions.
//!
//! We call libssh2 directly (not through the `ssh2` crate's Sftp) because paramiko's
//! surface needs what `ssh2` does not bind: `posix-rename@openssh.com`, the server's
//! `longname` in listings, and resumable non-blocking writes for a sliding window.
//! Every function here must be called with the session's operation lock held
//! (through `Shared::run`), and returns `Error::Again` when libssh2 would block.

use std::os::raw::{c_char, c_int, c_long, c_uint, c_ulong};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use libssh2_sys as sys;

use crate::error::{Error, Result, EAGAIN};
use crate::session::{deadline, Shared};

extern "C" {
    // Present in the bundled libssh2 but not declared by libssh2-sys.
    fn libssh2_sftp_get_channel(sftp: *mut sys::LIBSSH2_SFTP) -> *mut sys::LIBSSH2_CHANNEL;
    fn libssh2_sftp_posix_rename_ex(
        sftp: *mut sys::LIBSSH2_SFTP,
        source: *const c_char,
        source_len: usize,
        dest: *const c_char,
        dest_len: usize,
    ) -> c_int;
}

/// (size, uid, gid, mode, atime, mtime); None where the server sent nothing.
pub type Attrs = (Option<u64>, Option<u32>, Option<u32>, Option<u32>, Option<u64>, Option<u64>);

pub fn attrs_from_raw(a: &sys::LIBSSH2_SFTP_ATTRIBUTES) -> Attrs {
    let has = |flag: c_ulong| a.flags & flag != 0;
    let uidgid = has(sys::LIBSSH2_SFTP_ATTR_UIDGID);
    let times = has(sys::LIBSSH2_SFTP_ATTR_ACMODTIME);
    (
        has(sys::LIBSSH2_SFTP_ATTR_SIZE).then_some(a.filesize),
        uidgid.then_some(a.uid as u32),
        uidgid.then_some(a.gid as u32),
        has(sys::LIBSSH2_SFTP_ATTR_PERMISSIONS).then_some(a.permissions as u32),
        times.then_some(a.atime as u64),
        times.then_some(a.mtime as u64),
    )
}

/// Attributes to set; SFTP sends uid+gid together and atime+mtime together.
pub fn attrs_to_raw(a: &Attrs) -> sys::LIBSSH2_SFTP_ATTRIBUTES {
    let mut raw: sys::LIBSSH2_SFTP_ATTRIBUTES = unsafe { std::mem::zeroed() };
    if let Some(size) = a.0 {
        raw.flags |= sys::LIBSSH2_SFTP_ATTR_SIZE;
        raw.filesize = size;
    }
    if let (Some(uid), Some(gid)) = (a.1, a.2) {
        raw.flags |= sys::LIBSSH2_SFTP_ATTR_UIDGID;
        raw.uid = uid as c_ulong;
        raw.gid = gid as c_ulong;
    }
    if let Some(mode) = a.3 {
        raw.flags |= sys::LIBSSH2_SFTP_ATTR_PERMISSIONS;
        raw.permissions = mode as c_ulong;
    }
    if let (Some(atime), Some(mtime)) = (a.4, a.5) {
        raw.flags |= sys::LIBSSH2_SFTP_ATTR_ACMODTIME;
        raw.atime = atime as c_ulong;
        raw.mtime = mtime as c_ulong;
    }
    raw
}

/// Exclusive use of one SFTP channel across many libssh2 calls.
///
/// libssh2's pipelined sftp_read/sftp_write may return while a request packet is
/// only partly written to the channel; a request from another thread sent then
/// would land in the middle of it and corrupt the stream. So every SFTP operation
/// holds this for its whole duration (a transfer: until it ends). Waited on only
/// with the GIL released; Drop only tries it.
///
/// A transfer calls Python (progress callbacks, the file object of
/// getfo/putfo) while holding it. If that Python code calls the *same* SFTP
/// client, waiting would never end: that is refused with a clear error instead.
pub struct StreamLock {
    owner: Mutex<Option<std::thread::ThreadId>>,
    freed: Condvar,
}

pub struct StreamGuard<'a>(&'a StreamLock);

impl StreamLock {
    fn new() -> StreamLock {
        StreamLock { owner: Mutex::new(None), freed: Condvar::new() }
    }

    pub fn acquire(&self) -> Result<StreamGuard<'_>> {
        let me = std::thread::current().id();
        let mut owner = self.owner.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match *owner {
                None => break,
                Some(holder) if holder == me => {
                    return Err(Error::Ssh(
                        "this SFTPClient is busy with a transfer in this same thread (a progress callback or \
                         the file object of getfo/putfo called it): use a second SFTPClient for that"
                            .into(),
                    ))
                }
                Some(_) => owner = self.freed.wait(owner).unwrap_or_else(|p| p.into_inner()),
            }
        }
        *owner = Some(me);
        Ok(StreamGuard(self))
    }

    pub fn try_acquire(&self) -> Option<StreamGuard<'_>> {
        let mut owner = self.owner.lock().unwrap_or_else(|p| p.into_inner());
        if owner.is_some() {
            return None;
        }
        *owner = Some(std::thread::current().id());
        Some(StreamGuard(self))
    }
}

impl Drop for StreamGuard<'_> {
    fn drop(&mut self) {
        *self.0.owner.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.0.freed.notify_one();
    }
}

/// One SFTP subsystem channel.
pub struct SftpShared {
    pub stream: StreamLock,
    pub session: Arc<Shared>,
    /// The libssh2 SFTP session in use; replaced after a write error (below).
    raw: AtomicPtr<sys::LIBSSH2_SFTP>,
    /// Bumped at each replacement: handles opened before it are gone.
    generation: AtomicU64,
    /// Set when a pipelined write failed on the server (disk full, quota):
    /// libssh2 then drops its pending requests, one of them maybe half written
    /// into the channel, so the server would read our next request as the rest
    /// of that write and never answer. The next call starts a fresh SFTP
    /// channel on the same connection instead of waiting for that answer.
    stream_corrupt: AtomicBool,
    /// Set after a timeout or a transport failure mid-request: libssh2's SFTP state
    /// machine may be half-way through a request, so nothing more is sent on it.
    broken: AtomicBool,
    closed: AtomicBool,
    pub timeout: Mutex<Option<f64>>,
    /// With no timeout set, the longest an SFTP request may go unanswered
    /// (`ferrosftp.DEFAULT_TIMEOUT`): SFTP replies always come, so silence means a
    /// dead or stalled peer. None: wait forever.
    pub idle_limit: Mutex<Option<f64>>,
}

unsafe impl Send for SftpShared {}
unsafe impl Sync for SftpShared {}

/// An open remote file or directory handle, of one SFTP channel generation.
pub struct Handle(pub *mut sys::LIBSSH2_SFTP_HANDLE, u64);
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

/// Start libssh2's SFTP subsystem on a new channel of `session`.
fn start_sftp(session: &Arc<Shared>, until: Option<Instant>) -> Result<*mut sys::LIBSSH2_SFTP> {
    let _setup = session.setup_lock();
    let raw = session.run(until, || {
        // SAFETY: a live session, used under the operation lock (`run`).
        let p = unsafe { sys::libssh2_sftp_init(session.raw) };
        if p.is_null() {
            Err(session_error(session))
        } else {
            Ok(p as usize)
        }
    })?;
    Ok(raw as *mut sys::LIBSSH2_SFTP)
}

impl SftpShared {
    pub fn init(session: &Arc<Shared>, until: Option<Instant>) -> Result<SftpShared> {
        let raw = start_sftp(session, until)?;
        Ok(SftpShared {
            session: session.clone(),
            raw: AtomicPtr::new(raw),
            generation: AtomicU64::new(0),
            stream_corrupt: AtomicBool::new(false),
            stream: StreamLock::new(),
            broken: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            timeout: Mutex::new(None),
            idle_limit: Mutex::new(None),
        })
    }

    /// Deadline for one libssh2 call: the timeout bounds each wait for the
    /// server (like paramiko's per-read socket timeout), not a whole transfer.
    pub fn deadline(&self) -> Option<Instant> {
        let timeout = *self.timeout.lock().unwrap_or_else(|p| p.into_inner());
        deadline(timeout.or(*self.idle_limit.lock().unwrap_or_else(|p| p.into_inner())))
    }

    /// Run one SFTP call to completion with this client's timeout.
    pub fn run<T>(&self, f: impl FnMut() -> Result<T>) -> Result<T> {
        self.run_until(self.deadline(), f)
    }

    /// The libssh2 SFTP session in use now.
    fn sftp(&self) -> *mut sys::LIBSSH2_SFTP {
        self.raw.load(Ordering::SeqCst)
    }

    /// After a failed pipelined write: see `stream_corrupt`.
    pub fn mark_stream_corrupt(&self) {
        self.stream_corrupt.store(true, Ordering::SeqCst);
    }

    /// Replace a corrupt SFTP channel by a fresh one on the same connection.
    /// The old channel is closed (best effort, without waiting for the
    /// server) and its libssh2 state left alone: handles opened on it may
    /// still point into it, and fail with a clear error (`handle`).
    fn renew_if_corrupt(&self, until: Option<Instant>) -> Result<()> {
        if !self.stream_corrupt.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let old = self.sftp();
        let fresh = start_sftp(&self.session, until).map_err(|e| {
            self.broken.store(true, Ordering::SeqCst);
            e
        })?;
        self.raw.store(fresh, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        let _ = self.session.run(deadline(Some(1.0)), || {
            let rc = {
                let _inner = self.session.sess.raw();
                // SAFETY: `old` is a live libssh2 SFTP session (never freed: see above).
                unsafe { sys::libssh2_channel_close(libssh2_sftp_get_channel(old)) }
            };
            // Sent is enough: the server's own close may take its time.
            if rc == EAGAIN && !self.session.sending() {
                return Ok(());
            }
            self.check(rc).map(|_| ())
        });
        Ok(())
    }

    /// A handle's pointer, if it belongs to the SFTP channel in use.
    fn handle(&self, h: &Handle) -> Result<*mut sys::LIBSSH2_SFTP_HANDLE> {
        if h.1 != self.generation.load(Ordering::SeqCst) {
            return Err(Error::OsMessage(
                "the file's handle was lost: its SFTP channel was replaced after a write error".into(),
            ));
        }
        Ok(h.0)
    }

    pub fn run_until<T>(&self, until: Option<Instant>, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        self.check_usable()?;
        self.renew_if_corrupt(until)?;
        // Checked again under the lock: a concurrent close() frees every handle.
        let result = self.session.run(until, || {
            self.check_usable()?;
            // Raw calls share libssh2 with the ssh2 crate's objects: hold its mutex.
            let _inner = self.session.sess.raw();
            f()
        });
        match &result {
            Err(Error::Timeout | Error::Python(_)) => {
                self.broken.store(true, Ordering::SeqCst);
                self.session.abort();
            }
            Err(Error::Ssh(_) | Error::Dropped(_)) => self.broken.store(true, Ordering::SeqCst),
            _ => {}
        }
        result
    }

    pub fn check_usable(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::OsMessage("Socket is closed".into()));
        }
        if self.broken.load(Ordering::SeqCst) || !self.session.is_active() {
            return Err(Error::Dropped("the SFTP session is no longer usable".into()));
        }
        Ok(())
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Map a negative libssh2 return code to our error.
    fn check(&self, rc: c_int) -> Result<c_int> {
        match rc {
            rc if rc >= 0 => Ok(rc),
            EAGAIN => Err(Error::Again),
            sys::LIBSSH2_ERROR_SFTP_PROTOCOL => Err(Error::Sftp(unsafe { sys::libssh2_sftp_last_error(self.sftp()) } as u32)),
            _ => Err(session_error(&self.session)),
        }
    }

    pub fn stat(&self, path: &[u8], follow: bool) -> Result<Attrs> {
        let mut a: sys::LIBSSH2_SFTP_ATTRIBUTES = unsafe { std::mem::zeroed() };
        let kind = if follow { sys::LIBSSH2_SFTP_STAT } else { sys::LIBSSH2_SFTP_LSTAT };
        self.check(unsafe { sys::libssh2_sftp_stat_ex(self.sftp(), cptr(path), path.len() as c_uint, kind, &mut a) })?;
        Ok(attrs_from_raw(&a))
    }

    pub fn setstat(&self, path: &[u8], attrs: &Attrs) -> Result<()> {
        let mut a = attrs_to_raw(attrs);
        self.check(unsafe {
            sys::libssh2_sftp_stat_ex(self.sftp(), cptr(path), path.len() as c_uint, sys::LIBSSH2_SFTP_SETSTAT, &mut a)
        })?;
        Ok(())
    }

    pub fn mkdir(&self, path: &[u8], mode: u32) -> Result<()> {
        self.check(unsafe { sys::libssh2_sftp_mkdir_ex(self.sftp(), cptr(path), path.len() as c_uint, mode as c_long) })?;
        Ok(())
    }

    pub fn rmdir(&self, path: &[u8]) -> Result<()> {
        self.check(unsafe { sys::libssh2_sftp_rmdir_ex(self.sftp(), cptr(path), path.len() as c_uint) })?;
        Ok(())
    }

    pub fn unlink(&self, path: &[u8]) -> Result<()> {
        self.check(unsafe { sys::libssh2_sftp_unlink_ex(self.sftp(), cptr(path), path.len() as c_uint) })?;
        Ok(())
    }

    pub fn rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        // Flags are ignored by SFTPv3 servers; OpenSSH refuses to overwrite.
        self.check(unsafe {
            sys::libssh2_sftp_rename_ex(self.sftp(), cptr(old), old.len() as c_uint, cptr(new), new.len() as c_uint, 0)
        })?;
        Ok(())
    }

    pub fn posix_rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        self.check(unsafe { libssh2_sftp_posix_rename_ex(self.sftp(), cptr(old), old.len(), cptr(new), new.len()) })?;
        Ok(())
    }

    /// Path-returning calls: readlink, realpath, and symlink creation.
    fn symlink_call(&self, path: &[u8], target: &mut Vec<u8>, kind: c_int) -> Result<usize> {
        let n = self.check(unsafe {
            sys::libssh2_sftp_symlink_ex(
                self.sftp(),
                cptr(path),
                path.len() as c_uint,
                target.as_mut_ptr() as *mut c_char,
                target.len() as c_uint,
                kind,
            )
        })?;
        Ok(n as usize)
    }

    /// Create `link` pointing at `target`. libssh2 sends its `path` first; OpenSSH
    /// reads the first path as the target (the draft's order swapped), as paramiko
    /// sends them: so the target goes in libssh2's `path` slot.
    pub fn symlink(&self, target: &[u8], link: &[u8]) -> Result<()> {
        let mut l = link.to_vec();
        self.symlink_call(target, &mut l, sys::LIBSSH2_SFTP_SYMLINK)?;
        Ok(())
    }

    pub fn readlink(&self, path: &[u8], realpath: bool) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; 4096];
        let kind = if realpath { sys::LIBSSH2_SFTP_REALPATH } else { sys::LIBSSH2_SFTP_READLINK };
        let n = self.symlink_call(path, &mut buf, kind)?;
        buf.truncate(n);
        Ok(buf)
    }

    pub fn open(&self, path: &[u8], flags: u32, mode: u32, dir: bool) -> Result<Handle> {
        let kind = if dir { sys::LIBSSH2_SFTP_OPENDIR } else { sys::LIBSSH2_SFTP_OPENFILE };
        let h = unsafe {
            sys::libssh2_sftp_open_ex(self.sftp(), cptr(path), path.len() as c_uint, flags as c_ulong, mode as c_long, kind)
        };
        if h.is_null() {
            let errno = unsafe { sys::libssh2_session_last_errno(self.session.raw) };
            self.check(if errno == 0 { -1 } else { errno })?;
            return Err(session_error(&self.session));
        }
        Ok(Handle(h, self.generation.load(Ordering::SeqCst)))
    }

    /// Close a handle from Drop: skipped if the session is busy or dead.
    pub fn close_handle_nowait(&self, h: &Handle) {
        let Some(_stream) = self.stream.try_acquire() else { return };
        if self.check_usable().is_ok() {
            let _ = self.session.try_run(deadline(Some(2.0)), || {
                let _inner = self.session.sess.raw();
                self.close_handle(h)
            });
        }
    }

    pub fn close_handle(&self, h: &Handle) -> Result<()> {
        let h = self.handle(h)?;
        self.check(unsafe { sys::libssh2_sftp_close_handle(h) })?;
        Ok(())
    }

    /// One directory entry, or None at the end.
    pub fn readdir(&self, h: &Handle, name: &mut [u8], long: &mut [u8]) -> Result<Option<(usize, usize, Attrs)>> {
        let h = self.handle(h)?;
        let mut a: sys::LIBSSH2_SFTP_ATTRIBUTES = unsafe { std::mem::zeroed() };
        long[0] = 0;
        let n = self.check(unsafe {
            sys::libssh2_sftp_readdir_ex(
                h,
                name.as_mut_ptr() as *mut c_char,
                name.len(),
                long.as_mut_ptr() as *mut c_char,
                long.len(),
                &mut a,
            )
        })?;
        if n == 0 {
            return Ok(None);
        }
        let long_len = long.iter().position(|&b| b == 0).unwrap_or(long.len());
        Ok(Some((n as usize, long_len, attrs_from_raw(&a))))
    }

    pub fn read(&self, h: &Handle, buf: &mut [u8]) -> Result<usize> {
        let h = self.handle(h)?;
        let n = unsafe { sys::libssh2_sftp_read(h, buf.as_mut_ptr() as *mut c_char, buf.len()) };
        Ok(self.check(n as c_int)? as usize)
    }

    /// Hand libssh2 the unacknowledged data; returns how many bytes were acknowledged.
    /// Calling again with a buffer that starts at the first unacknowledged byte (and
    /// may have grown) keeps the pipeline full: this is the sliding write window.
    pub fn write(&self, h: &Handle, buf: &[u8]) -> Result<usize> {
        let h = self.handle(h)?;
        let n = unsafe { sys::libssh2_sftp_write(h, buf.as_ptr() as *const c_char, buf.len()) };
        if n < 0 {
            if let Err(e) = self.check(n as c_int) {
                if matches!(e, Error::Sftp(_)) {
                    self.mark_stream_corrupt();
                }
                return Err(e);
            }
        }
        Ok(n as usize)
    }

    pub fn seek(&self, h: &Handle, pos: u64) -> Result<()> {
        let h = self.handle(h)?;
        unsafe { sys::libssh2_sftp_seek64(h, pos) };
        Ok(())
    }

    pub fn tell(&self, h: &Handle) -> Result<u64> {
        let h = self.handle(h)?;
        Ok(unsafe { sys::libssh2_sftp_tell64(h) })
    }

    pub fn fstat(&self, h: &Handle) -> Result<Attrs> {
        let h = self.handle(h)?;
        let mut a: sys::LIBSSH2_SFTP_ATTRIBUTES = unsafe { std::mem::zeroed() };
        self.check(unsafe { sys::libssh2_sftp_fstat_ex(h, &mut a, 0) })?;
        Ok(attrs_from_raw(&a))
    }

    pub fn fsetstat(&self, h: &Handle, attrs: &Attrs) -> Result<()> {
        let h = self.handle(h)?;
        let mut a = attrs_to_raw(attrs);
        self.check(unsafe { sys::libssh2_sftp_fstat_ex(h, &mut a, 1) })?;
        Ok(())
    }

    pub fn fsync(&self, h: &Handle) -> Result<()> {
        let h = self.handle(h)?;
        self.check(unsafe { sys::libssh2_sftp_fsync(h) })?;
        Ok(())
    }

    /// Shut the SFTP channel down (idempotent).
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        if self.session.is_active() {
            let Ok(_stream) = self.stream.acquire() else { return };
            let until = deadline(Some(2.0));
            let _ = self.session.run(until, || self.shutdown_call());
        }
    }

    fn shutdown_call(&self) -> Result<c_int> {
        let _inner = self.session.sess.raw();
        self.check(unsafe { sys::libssh2_sftp_shutdown(self.sftp()) })
    }
}

impl Drop for SftpShared {
    fn drop(&mut self) {
        // Drop may hold the GIL: never wait for a busy session here.
        if !self.closed.swap(true, Ordering::SeqCst) {
            if let Some(_stream) = self.stream.try_acquire() {
                let _ = self.session.try_run(deadline(Some(2.0)), || self.shutdown_call());
            }
        }
    }
}

fn cptr(b: &[u8]) -> *const c_char {
    b.as_ptr() as *const c_char
}

fn session_error(session: &Shared) -> Error {
    let errno = unsafe { sys::libssh2_session_last_errno(session.raw) };
    if errno == EAGAIN {
        Error::Again
    } else {
        session.last_error()
    }
}
