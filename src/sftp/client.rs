//! The SFTP operations paramiko's SFTPClient needs, on our own protocol
//! client (conn.rs): one request and its reply each, with this client's
//! timeout. Transfers and open files pipeline on the same `SftpConn`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::conn::{expect_attrs, expect_handle, expect_ok, unexpected, SftpConn};
use super::pipeline::Lane;
use super::proto::{FileAttrs, Reply, Request, StatVfs, Writer, FXF_CREAT, FX_EOF, FX_OP_UNSUPPORTED};
use crate::error::{Error, Result};
use crate::locks::Brief;
use crate::session::{deadline, Shared};

/// (size, uid, gid, mode, atime, mtime); None where the server sent nothing.
/// The shape the Python glue turns into SFTPAttributes.
pub type Attrs = (
    Option<u64>,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    Option<u64>,
    Option<u64>,
);

pub fn attrs_to_tuple(a: &FileAttrs) -> Attrs {
    (
        a.size,
        a.uid_gid.map(|(u, _)| u),
        a.uid_gid.map(|(_, g)| g),
        a.permissions,
        a.times.map(|(at, _)| u64::from(at)),
        a.times.map(|(_, mt)| u64::from(mt)),
    )
}

/// Attributes to set; SFTP sends uid+gid together and atime+mtime together.
/// Times beyond 2106 do not fit SFTP v3's 32 bits: they are refused.
pub fn attrs_from_tuple(a: &Attrs) -> Result<FileAttrs> {
    let time = |t: u64| u32::try_from(t).map_err(|_| Error::Value(format!("time {t} does not fit SFTP's 32 bits")));
    Ok(FileAttrs {
        size: a.0,
        uid_gid: a.1.zip(a.2),
        permissions: a.3,
        times: match (a.4, a.5) {
            (Some(at), Some(mt)) => Some((time(at)?, time(mt)?)),
            _ => None,
        },
        extended: Vec::new(),
    })
}

/// One directory entry: (name, longname, attrs).
pub type Entry = (Vec<u8>, Vec<u8>, Attrs);

/// An open remote file or directory handle.
#[derive(Clone, Debug)]
pub struct Handle(pub Vec<u8>);

pub struct Client {
    pub conn: SftpConn,
    /// More SFTP channels of the same connection, open for the parallel
    /// transfers under way (parallel.rs). Each transfer closes its own when
    /// it ends: idle channels would count against the server's limit
    /// (sshd's MaxSessions, 10) that exec channels share.
    helpers: Brief<Vec<Arc<SftpConn>>>,
    pub session: Arc<Shared>,
    closed: AtomicBool,
    pub timeout: Brief<Option<f64>>,
    /// With no timeout set, the longest an SFTP request may go unanswered
    /// (`ferrosftp.DEFAULT_TIMEOUT`): SFTP replies always come, so silence
    /// means a dead or stalled peer. None: wait forever.
    pub idle_limit: Brief<Option<f64>>,
}

impl Client {
    pub fn init(session: &Arc<Shared>, until: Option<Instant>) -> Result<Client> {
        Ok(Client {
            conn: SftpConn::open(session, until)?,
            helpers: Brief::new(Vec::new()),
            session: session.clone(),
            closed: AtomicBool::new(false),
            timeout: Brief::new(None),
            idle_limit: Brief::new(None),
        })
    }

    /// Deadline of one wait for the server: the timeout bounds each wait
    /// (like paramiko's per-read socket timeout), not a whole transfer.
    pub fn deadline(&self) -> Option<Instant> {
        deadline(self.timeout.get().or(self.idle_limit.get()))
    }

    pub fn check_usable(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::OsMessage("Socket is closed".into()));
        }
        if !self.session.is_active() {
            return Err(Error::Dropped("the SFTP session is no longer usable".into()));
        }
        match self.conn.failure() {
            Some(Error::OsMessage(_)) | None => Ok(()),
            Some(e) => Err(e),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// A silent server past the deadline is taken for dead, as before: the
    /// connection is shut, so every other waiter learns it at once.
    pub fn settle<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(Error::Timeout) = &result {
            self.conn
                .fail(Error::Dropped("the server did not answer in time".into()));
            self.session.abort();
        }
        result
    }

    /// A request on this client's own channel (see `Lane`).
    pub fn send(&self, req: &Request<'_>) -> Result<u32> {
        Lane::main(self).send(req)
    }

    pub fn wait(&self, id: u32) -> Result<Reply> {
        Lane::main(self).wait(id)
    }

    /// A request sent for its effect only (see `Lane::send_unwaited`).
    pub fn send_unwaited(&self, req: &Request<'_>) {
        Lane::main(self).send_unwaited(req);
    }

    /// One request and its reply; the time it took tells how far the
    /// server is (`Shared::round_trip`).
    pub fn call(&self, req: &Request<'_>) -> Result<Reply> {
        let asked = Instant::now();
        let id = self.send(req)?;
        let reply = self.wait(id)?;
        self.session.note_round_trip(asked.elapsed());
        Ok(reply)
    }

    fn call_ok(&self, req: &Request<'_>) -> Result<()> {
        expect_ok(self.call(req)?)
    }

    fn call_attrs(&self, req: &Request<'_>) -> Result<Attrs> {
        Ok(attrs_to_tuple(&expect_attrs(self.call(req)?)?))
    }

    fn call_name(&self, req: &Request<'_>) -> Result<Vec<u8>> {
        match self.call(req)? {
            Reply::Name(mut entries) if !entries.is_empty() => Ok(entries.swap_remove(0).filename),
            Reply::Status { code, .. } => Err(Error::Sftp(code)),
            other => Err(unexpected(&other)),
        }
    }

    fn call_handle(&self, req: &Request<'_>) -> Result<Handle> {
        Ok(Handle(expect_handle(self.call(req)?)?))
    }

    /// An OpenSSH extension request, if the server offers it.
    fn extended(&self, name: &str, body: &[u8]) -> Result<Reply> {
        if !self.conn.has_extension(name) {
            return Err(Error::Sftp(FX_OP_UNSUPPORTED));
        }
        self.call(&Request::Extended { name, body })
    }

    pub fn stat(&self, path: &[u8], follow: bool) -> Result<Attrs> {
        if follow {
            self.call_attrs(&Request::Stat { path })
        } else {
            self.call_attrs(&Request::Lstat { path })
        }
    }

    pub fn setstat(&self, path: &[u8], attrs: &Attrs) -> Result<()> {
        self.call_ok(&Request::Setstat {
            path,
            attrs: &attrs_from_tuple(attrs)?,
        })
    }

    pub fn fstat(&self, h: &Handle) -> Result<Attrs> {
        self.call_attrs(&Request::Fstat { handle: &h.0 })
    }

    pub fn fsetstat(&self, h: &Handle, attrs: &Attrs) -> Result<()> {
        self.call_ok(&Request::Fsetstat {
            handle: &h.0,
            attrs: &attrs_from_tuple(attrs)?,
        })
    }

    pub fn mkdir(&self, path: &[u8], mode: u32) -> Result<()> {
        let attrs = FileAttrs {
            permissions: Some(mode),
            ..FileAttrs::default()
        };
        self.call_ok(&Request::Mkdir { path, attrs: &attrs })
    }

    pub fn rmdir(&self, path: &[u8]) -> Result<()> {
        self.call_ok(&Request::Rmdir { path })
    }

    pub fn unlink(&self, path: &[u8]) -> Result<()> {
        self.call_ok(&Request::Remove { path })
    }

    /// Plain SFTP rename: OpenSSH refuses to overwrite.
    pub fn rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        self.call_ok(&Request::Rename { old, new })
    }

    /// `posix-rename@openssh.com`: replaces the target atomically.
    pub fn posix_rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        let id = self.send_posix_rename(old, new)?;
        expect_ok(self.wait(id)?)
    }

    /// Send a posix-rename and not wait: its reply is `wait`ed for by id.
    pub fn send_posix_rename(&self, old: &[u8], new: &[u8]) -> Result<u32> {
        const NAME: &str = "posix-rename@openssh.com";
        if !self.conn.has_extension(NAME) {
            return Err(Error::Sftp(FX_OP_UNSUPPORTED));
        }
        let mut w = Writer::default();
        w.bytes(old).bytes(new);
        self.send(&Request::Extended { name: NAME, body: &w.0 })
    }

    /// Create `link` pointing at `target` (OpenSSH's order: target first).
    pub fn symlink(&self, target: &[u8], link: &[u8]) -> Result<()> {
        self.call_ok(&Request::Symlink { target, link })
    }

    pub fn readlink(&self, path: &[u8], realpath: bool) -> Result<Vec<u8>> {
        if realpath {
            self.call_name(&Request::Realpath { path })
        } else {
            self.call_name(&Request::Readlink { path })
        }
    }

    pub fn open(&self, path: &[u8], pflags: u32, mode: u32) -> Result<Handle> {
        let attrs = FileAttrs {
            permissions: (pflags & FXF_CREAT != 0).then_some(mode),
            ..FileAttrs::default()
        };
        self.call_handle(&Request::Open {
            path,
            pflags,
            attrs: &attrs,
        })
    }

    pub fn opendir(&self, path: &[u8]) -> Result<Handle> {
        self.call_handle(&Request::Opendir { path })
    }

    /// The next entries of a directory; empty at its end.
    pub fn readdir(&self, h: &Handle) -> Result<Vec<Entry>> {
        match self.call(&Request::Readdir { handle: &h.0 })? {
            Reply::Name(entries) => Ok(entries
                .into_iter()
                .map(|e| (e.filename, e.longname, attrs_to_tuple(&e.attrs)))
                .collect()),
            Reply::Status { code: FX_EOF, .. } => Ok(Vec::new()),
            Reply::Status { code, .. } => Err(Error::Sftp(code)),
            other => Err(unexpected(&other)),
        }
    }

    pub fn close_handle(&self, h: &Handle) -> Result<()> {
        self.call_ok(&Request::Close { handle: &h.0 })
    }

    /// Send a close and do not wait for its reply.
    pub fn close_handle_unwaited(&self, h: &Handle) {
        self.send_unwaited(&Request::Close { handle: &h.0 });
    }

    /// Close a handle from Drop (the GIL may be held): sent only if the
    /// channel is free right now, and never waited for.
    pub fn close_handle_nowait(&self, h: &Handle) {
        if self.check_usable().is_ok() {
            self.conn.send_nowait(&Request::Close { handle: &h.0 });
        }
    }

    pub fn fsync(&self, h: &Handle) -> Result<()> {
        let mut w = Writer::default();
        w.bytes(&h.0);
        expect_ok(self.extended("fsync@openssh.com", &w.0)?)
    }

    pub fn statvfs(&self, path: &[u8]) -> Result<StatVfs> {
        let mut w = Writer::default();
        w.bytes(path);
        match self.extended("statvfs@openssh.com", &w.0)? {
            Reply::Extended(data) => StatVfs::decode(&data).map_err(|e| Error::Ssh(e.to_string())),
            Reply::Status { code, .. } => Err(Error::Sftp(code)),
            other => Err(unexpected(&other)),
        }
    }

    /// `hardlink@openssh.com`: `new` becomes another name of `old`.
    pub fn hardlink(&self, old: &[u8], new: &[u8]) -> Result<()> {
        let mut w = Writer::default();
        w.bytes(old).bytes(new);
        expect_ok(self.extended("hardlink@openssh.com", &w.0)?)
    }

    /// `lsetstat@openssh.com`: set attributes without following a symlink.
    pub fn lsetstat(&self, path: &[u8], attrs: &Attrs) -> Result<()> {
        let mut w = Writer::default();
        w.bytes(path).attrs(&attrs_from_tuple(attrs)?);
        expect_ok(self.extended("lsetstat@openssh.com", &w.0)?)
    }

    /// `expand-path@openssh.com`: a path with `~` or `~user` made absolute.
    pub fn expand_path(&self, path: &[u8]) -> Result<Vec<u8>> {
        let mut w = Writer::default();
        w.bytes(path);
        match self.extended("expand-path@openssh.com", &w.0)? {
            Reply::Name(mut entries) if !entries.is_empty() => Ok(entries.swap_remove(0).filename),
            Reply::Status { code, .. } => Err(Error::Sftp(code)),
            other => Err(unexpected(&other)),
        }
    }

    /// `copy-data`: the server copies `length` bytes (0: to the end) from
    /// one open file to another, nothing passes through the client.
    pub fn copy_data(&self, from: &Handle, from_offset: u64, length: u64, to: &Handle, to_offset: u64) -> Result<()> {
        let mut w = Writer::default();
        w.bytes(&from.0)
            .u64(from_offset)
            .u64(length)
            .bytes(&to.0)
            .u64(to_offset);
        expect_ok(self.extended("copy-data", &w.0)?)
    }

    /// Largest read the server serves in one request.
    pub fn max_read(&self) -> usize {
        limit(self.conn.limits.max_read)
    }

    /// Largest write data the server takes in one request.
    pub fn max_write(&self) -> usize {
        limit(self.conn.limits.max_write)
    }

    /// A new helper channel for a lane of a parallel transfer; None if the
    /// server refuses one more channel. Give it back with `release_helper`.
    pub fn open_helper(&self) -> Option<Arc<SftpConn>> {
        self.check_usable().ok()?;
        match SftpConn::open_beside(&self.conn, self.deadline()) {
            Ok(conn) => {
                let conn = Arc::new(conn);
                self.helpers.with(|h| h.push(conn.clone()));
                Some(conn)
            }
            // The server's channel limit (sshd's MaxSessions) only means fewer lanes.
            Err(_) => None,
        }
    }

    /// Close a parallel transfer's helper channel.
    pub fn release_helper(&self, helper: &Arc<SftpConn>) {
        self.helpers.with(|h| h.retain(|c| !Arc::ptr_eq(c, helper)));
        helper.close();
    }

    /// SFTP channels open: this client's own and its helpers.
    pub fn channel_count(&self) -> usize {
        1 + self.helpers.with(|h| h.len())
    }

    /// Shut the SFTP channel down (idempotent).
    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            self.conn.close();
            // closed outside the list's lock: closing sends
            for helper in self.helpers.with(std::mem::take) {
                helper.close();
            }
        }
    }
}

/// A server limit as a request size: 0 means "no limit" (use 256 KiB, what
/// OpenSSH takes), and nothing above 256 KiB is asked for.
fn limit(v: u64) -> usize {
    match v {
        0 => 256 << 10,
        v => v.min(256 << 10) as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_tuple_round_trip() {
        let t: Attrs = (Some(5), Some(1), Some(2), Some(0o644), Some(10), Some(20));
        assert_eq!(attrs_to_tuple(&attrs_from_tuple(&t).unwrap()), t);
        // half of a pair is not sent
        let half: Attrs = (None, Some(1), None, None, Some(3), None);
        let a = attrs_from_tuple(&half).unwrap();
        assert_eq!((a.uid_gid, a.times), (None, None));
        assert!(attrs_from_tuple(&(None, None, None, None, Some(1 << 40), Some(0))).is_err());
    }

    #[test]
    fn limits_become_request_sizes() {
        assert_eq!(limit(0), 256 << 10);
        assert_eq!(limit(261_120), 261_120);
        assert_eq!(limit(1 << 30), 256 << 10);
        assert_eq!(limit(32_768), 32_768);
    }
}
