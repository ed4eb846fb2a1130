//! The transfer engine behind get/getfo/put/putfo: big pipelined reads, a sliding
//! write window, the GIL released while bytes move, throttled progress callbacks,
//! Ctrl-C checked between chunks, and nothing partial left behind on failure.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::client::{attrs_to_tuple, Attrs, Client, Handle};
use super::conn::{expect_attrs, expect_handle, expect_ok};
use super::parallel;
use super::pipeline::{InOrder, Lane, ReadAhead, WriteBehind};
use super::proto::{FileAttrs, Request, FXF_CREAT, FXF_READ, FXF_TRUNC, FXF_WRITE};
use crate::error::{Error, Result};

/// Bytes moved per trip out of Python (one progress check per chunk).
const CHUNK: usize = 4 << 20;
/// Minimum spacing of progress callbacks (the final call always happens).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// Throttled `callback(bytes_so_far, total)`, paramiko's progress protocol.
struct Progress {
    callback: Option<Py<PyAny>>,
    total: u64,
    last_time: Instant,
    last_done: u64,
}

impl Progress {
    fn new(callback: Option<Py<PyAny>>, total: u64) -> Progress {
        Progress {
            callback,
            total,
            last_time: Instant::now(),
            last_done: 0,
        }
    }

    /// Between chunks: maybe report, and let Ctrl-C through.
    fn tick(&mut self, py: Python<'_>, done: u64) -> Result<()> {
        py.check_signals()?;
        if self.last_time.elapsed() >= PROGRESS_INTERVAL {
            self.emit(py, done)?;
        }
        Ok(())
    }

    /// After the last byte: the final (size, total) call; none for an empty file.
    fn finish(&mut self, py: Python<'_>, done: u64) -> Result<()> {
        if done > 0 && done != self.last_done {
            self.emit(py, done)?;
        }
        Ok(())
    }

    fn emit(&mut self, py: Python<'_>, done: u64) -> Result<()> {
        if let Some(cb) = &self.callback {
            if done != self.last_done {
                cb.call1(py, (done, self.total))?;
            }
        }
        self.last_time = Instant::now();
        self.last_done = done;
        Ok(())
    }
}

/// Close a handle after a transfer. After a failure (an interrupt, a
/// callback's exception) the close is sent and not waited for: its reply
/// comes after the replies still in flight.
fn close_handle<T>(s: &Client, h: &Handle, result: Result<T>) -> Result<T> {
    if s.check_usable().is_err() {
        return result;
    }
    match result {
        Ok(v) => s.close_handle(h).map(|()| v),
        Err(e) => {
            s.close_handle_unwaited(h);
            Err(e)
        }
    }
}

/// Pipelined download of `remote` into `sink`, chunk by chunk.
/// With `parallel` (a local file and a number of channels), a big file is
/// written into that file at offsets over several channels instead.
fn download(
    py: Python<'_>,
    s: &Client,
    remote: &[u8],
    callback: Option<Py<PyAny>>,
    parallel: Option<(&fs::File, usize)>,
    mut sink: impl FnMut(Python<'_>, &[Bytes]) -> Result<()>,
) -> Result<u64> {
    let handle = crate::shutdown::detach(py, || s.open(remote, FXF_READ, 0))?;
    let result = (|| -> Result<u64> {
        // The fstat and the first reads go out together: one round trip.
        let mut reads = ReadAhead::new(Lane::main(s), &handle, 0, None);
        let size = crate::shutdown::detach(py, || {
            let mut stat = InOrder::new(Lane::main(s));
            stat.send(&Request::Fstat { handle: &handle.0 })?;
            reads.prime()?;
            expect_attrs(stat.next()?).map(|a| a.size)
        })?;
        if let Some(end) = size {
            reads.end_at(end);
        }
        let mut progress = Progress::new(callback, size.unwrap_or(0));
        if let (Some((out, lanes)), Some(total)) = (parallel, size) {
            if total >= parallel::PARALLEL_MIN && lanes > 1 {
                drop(reads);
                let done = parallel::download(py, s, lanes, remote, &handle, total, out, |py, d| progress.tick(py, d))?;
                progress.finish(py, done)?;
                return Ok(done);
            }
        }
        let mut done: u64 = 0;
        loop {
            // Requests stay in flight while Python runs the sink and callback.
            let pieces = crate::shutdown::detach(py, || reads.collect(CHUNK))?;
            if pieces.is_empty() {
                break;
            }
            sink(py, &pieces)?;
            done += pieces.iter().map(|p| p.len() as u64).sum::<u64>();
            progress.tick(py, done)?;
        }
        if let Some(total) = size {
            if done != total {
                return Err(Error::OsMessage(format!("size mismatch in get!  {done} != {total}")));
            }
        }
        progress.finish(py, done)?;
        Ok(done)
    })();
    // A read handle's close cannot lose data: it is sent, not waited for
    // (the next request on the channel is answered after it).
    if s.check_usable().is_ok() {
        crate::shutdown::detach(py, || s.close_handle_unwaited(&handle));
    }
    result
}

/// Longest file name most filesystems accept.
const NAME_MAX: usize = 255;

/// 12 random hex digits: temp names must not be guessable, or another local
/// user could plant a symlink under the next name.
fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    if openssl::rand::rand_bytes(&mut bytes).is_err() {
        // OpenSSL's CSPRNG does not fail once seeded; keep a unique fallback.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        bytes.copy_from_slice(&(nanos.as_nanos() as u64 ^ u64::from(std::process::id())).to_le_bytes()[..6]);
    }
    bytes.iter().fold(String::with_capacity(12), |mut hex, b| {
        use std::fmt::Write;
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// A hidden, unguessable name beside `name`, short enough for any filesystem.
pub(crate) fn temp_name_beside(name: &[u8]) -> Vec<u8> {
    const SUFFIX: &str = ".ferrosftp-part";
    let split = name.iter().rposition(|&b| b == b'/').map(|i| i + 1).unwrap_or(0);
    let (dir, base) = name.split_at(split);
    let tail = format!(".{}{SUFFIX}", random_suffix());
    let keep = base.len().min(NAME_MAX - 1 - tail.len());
    let mut out = dir.to_vec();
    out.push(b'.');
    out.extend_from_slice(&base[..keep]);
    out.extend_from_slice(tail.as_bytes());
    out
}

/// The process umask, read without changing it (umask(2) would race other threads).
fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:").map(|v| v.trim().to_string()))
        })
        .and_then(|v| u32::from_str_radix(&v, 8).ok())
        .unwrap_or(0o022)
}

/// Create the temp file: never following a link, never reusing a file, private
/// (0600) while partial.
pub(crate) fn create_temp(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// A complete download: check its size, give it the existing file's mode
/// (paramiko writes in place, so a 0600 file stays 0600) or a plain
/// create's, and rename it into place.
pub(crate) fn publish_download(mut out: fs::File, temp: &Path, local: &Path, done: u64) -> Result<()> {
    out.flush()?;
    let written = out.metadata()?.len();
    if written != done {
        return Err(Error::OsMessage(format!("size mismatch in get!  {written} != {done}")));
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(local)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o666 & !current_umask());
    out.set_permissions(fs::Permissions::from_mode(mode))?;
    drop(out);
    fs::rename(temp, local)?;
    Ok(())
}

/// A hidden, unguessable local temp path beside `local`.
pub(crate) fn local_temp_beside(local: &Path) -> PathBuf {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    PathBuf::from(std::ffi::OsString::from_vec(temp_name_beside(
        local.as_os_str().as_bytes(),
    )))
}

/// Download to a temp file beside `local` and rename it into place when complete.
pub fn get(
    py: Python<'_>,
    s: &Client,
    remote: &[u8],
    local: &Path,
    callback: Option<Py<PyAny>>,
    lanes: usize,
) -> PyResult<u64> {
    let temp = local_temp_beside(local);
    let result = (|| -> Result<u64> {
        let out = create_temp(&temp)?;
        let done = download(py, s, remote, callback, Some((&out, lanes)), |py, pieces| {
            crate::shutdown::detach(py, || pieces.iter().try_for_each(|p| (&out).write_all(p))).map_err(Error::from)
        })?;
        publish_download(out, &temp, local, done)?;
        Ok(done)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    Ok(result?)
}

/// Download into any object with `.write(bytes)`.
pub fn getfo(py: Python<'_>, s: &Client, remote: &[u8], fl: Py<PyAny>, callback: Option<Py<PyAny>>) -> PyResult<u64> {
    let write = fl.getattr(py, "write")?;
    Ok(download(py, s, remote, callback, None, |py, pieces| {
        write.call1(py, (joined(py, pieces)?,))?;
        Ok(())
    })?)
}

/// The pieces as one Python bytes object: each byte copied once.
pub(crate) fn joined<'py>(py: Python<'py>, pieces: &[Bytes]) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, pieces.iter().map(Bytes::len).sum(), |buf| {
        let mut at = 0;
        for p in pieces {
            buf[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        Ok(())
    })
}

/// Pipelined upload from `source` (which fills a buffer, returning 0 at EOF).
/// The close, and the stat of `confirm` (a path) if given, go out behind the
/// last writes: one round trip for all instead of one each.
#[allow(clippy::too_many_arguments)]
fn upload(
    py: Python<'_>,
    s: &Client,
    remote: &[u8],
    total: u64,
    callback: Option<Py<PyAny>>,
    parallel: Option<(&fs::File, Option<usize>)>,
    confirm: Option<&[u8]>,
    mut source: impl FnMut(Python<'_>, &mut [u8]) -> Result<usize>,
) -> Result<(u64, Option<Attrs>)> {
    if let Some((local, asked)) = parallel {
        // The lanes follow the connection's round trip, known before the
        // open: the helper channels set up while the file opens.
        let lanes = parallel::upload_lanes(asked, s.session.round_trip().unwrap_or_default());
        if total >= parallel::PARALLEL_MIN && lanes > 1 {
            return upload_in_lanes(py, s, remote, total, callback, local, lanes, confirm);
        }
    }
    let handle = crate::shutdown::detach(py, || s.open(remote, FXF_WRITE | FXF_CREAT | FXF_TRUNC, 0o666))?;
    let mut progress = Progress::new(callback, total);
    let mut writes = WriteBehind::new(Lane::main(s), &handle, 0);
    let result = (|| -> Result<u64> {
        // no bigger than the file: zeroing a fresh 4 MiB buffer cost a
        // small file's put more CPU than everything else it does
        let mut chunk = vec![0u8; chunk_for(total)];
        let mut sent: u64 = 0;
        loop {
            // Writes stay in flight while Python fills the next chunk.
            let n = source(py, &mut chunk)?;
            if n == 0 {
                break;
            }
            crate::shutdown::detach(py, || writes.write(&chunk[..n]))?;
            sent += n as u64;
            progress.tick(py, writes.acked())?;
        }
        Ok(sent)
    })();
    finish_upload(py, s, &handle, writes, result, confirm, &mut progress)
}

/// The buffer of an upload of `total` bytes (0: unknown, as paramiko's
/// putfo `file_size` default).
fn chunk_for(total: u64) -> usize {
    if total == 0 {
        CHUNK
    } else {
        usize::try_from(total).map_or(CHUNK, |n| n.min(CHUNK))
    }
}

/// The open of an upload's target: created, truncated.
fn open_for_upload(lane: Lane<'_>, remote: &[u8]) -> Result<Handle> {
    let attrs = FileAttrs {
        permissions: Some(0o666),
        ..FileAttrs::default()
    };
    let id = lane.send(&Request::Open {
        path: remote,
        pflags: FXF_WRITE | FXF_CREAT | FXF_TRUNC,
        attrs: &attrs,
    })?;
    Ok(Handle(expect_handle(lane.wait(id)?)?))
}

/// Upload a big local file over `lanes` channels (parallel.rs). The last
/// piece goes last, alone, once every other byte is confirmed: until then
/// the remote file is shorter than the local one, so a failed upload never
/// leaves a file of the full size with gaps in it.
#[allow(clippy::too_many_arguments)]
fn upload_in_lanes(
    py: Python<'_>,
    s: &Client,
    remote: &[u8],
    total: u64,
    callback: Option<Py<PyAny>>,
    local: &fs::File,
    lanes: usize,
    confirm: Option<&[u8]>,
) -> Result<(u64, Option<Attrs>)> {
    let mut progress = Progress::new(callback, total);
    let tail = total.min(s.max_write() as u64);
    let body = total - tail;
    let open = |lane: Lane<'_>| open_for_upload(lane, remote);
    let main = parallel::MainHandle::opened_by(&open);
    let sent = parallel::upload(py, s, lanes, remote, &main, body, local, |py, d| progress.tick(py, d));
    let Some(handle) = main.into_handle() else {
        return Err(sent
            .err()
            .unwrap_or_else(|| Error::Ssh("the file was not opened".into())));
    };
    let mut writes = WriteBehind::new(Lane::main(s), &handle, body);
    let result = sent.and_then(|sent| {
        let mut last = vec![0u8; tail as usize];
        local.read_exact_at(&mut last, body)?;
        crate::shutdown::detach(py, || writes.write(&last))?;
        Ok(sent + tail)
    });
    finish_upload(py, s, &handle, writes, result, confirm, &mut progress)
}

/// After the last write was sent: on success, the close and the stat of
/// `confirm` behind the writes in flight; on failure, the close unwaited.
fn finish_upload(
    py: Python<'_>,
    s: &Client,
    handle: &Handle,
    mut writes: WriteBehind<'_>,
    result: Result<u64>,
    confirm: Option<&[u8]>,
    progress: &mut Progress,
) -> Result<(u64, Option<Attrs>)> {
    match result {
        Ok(sent) => {
            let attrs = crate::shutdown::detach(py, || {
                // the close, and the size check, go out behind the last writes
                let stat = writes.close_behind(confirm.map(|path| Request::Stat { path }).as_ref())?;
                stat.map(|reply| expect_attrs(reply).map(|a| attrs_to_tuple(&a)))
                    .transpose()
            })?;
            progress.finish(py, sent)?;
            Ok((sent, attrs))
        }
        Err(e) => {
            drop(writes);
            crate::shutdown::detach(py, || close_handle(s, handle, Err(e)))
        }
    }
}

/// Upload via a temp name + posix-rename when `atomic`, then confirm the size.
/// `send(target, stat)` uploads to `target` and, given a path to `stat`,
/// returns its attributes once the file is closed.
fn upload_to(
    py: Python<'_>,
    s: &Client,
    remote: &[u8],
    confirm: bool,
    atomic: bool,
    send: impl FnOnce(&[u8], Option<&[u8]>) -> Result<(u64, Option<Attrs>)>,
) -> Result<Option<Attrs>> {
    let target = if atomic {
        temp_name_beside(remote)
    } else {
        remote.to_vec()
    };
    let result = (|| -> Result<Option<Attrs>> {
        // Without a rename the stat can follow the close at once; with one
        // it must wait until the rename succeeded.
        let (sent, attrs) = send(&target, (confirm && !atomic).then_some(remote))?;
        let attrs = if atomic {
            crate::shutdown::detach(py, || rename_then_stat(s, &target, remote, confirm))?
        } else {
            attrs
        };
        let Some(attrs) = attrs else { return Ok(None) };
        let size = attrs.0.unwrap_or(0);
        if size != sent {
            return Err(Error::OsMessage(format!("size mismatch in put!  {size} != {sent}")));
        }
        Ok(Some(attrs))
    })();
    if atomic && result.is_err() && s.check_usable().is_ok() {
        let _ = crate::shutdown::detach(py, || s.unlink(&target));
    }
    result
}

/// posix-rename `from` over `to` and, behind it, stat `to` if `confirm`.
fn rename_then_stat(s: &Client, from: &[u8], to: &[u8], confirm: bool) -> Result<Option<Attrs>> {
    if !confirm {
        return s.posix_rename(from, to).map(|()| None);
    }
    let mut replies = InOrder::new(Lane::main(s));
    replies.adopt(s.send_posix_rename(from, to)?);
    replies.send(&Request::Stat { path: to })?;
    expect_ok(replies.next()?)?;
    Ok(Some(attrs_to_tuple(&expect_attrs(replies.next()?)?)))
}

#[allow(clippy::too_many_arguments)]
pub fn put(
    py: Python<'_>,
    s: &Client,
    local: &Path,
    remote: &[u8],
    callback: Option<Py<PyAny>>,
    confirm: bool,
    atomic: bool,
    lanes: Option<usize>,
) -> PyResult<Option<Attrs>> {
    // A missing local file fails before anything happens remotely.
    let file = fs::File::open(local).map_err(Error::from)?;
    let total = file.metadata().map_err(Error::from)?.len();
    Ok(upload_to(py, s, remote, confirm, atomic, |target, stat| {
        upload(py, s, target, total, callback, Some((&file, lanes)), stat, |py, buf| {
            crate::shutdown::detach(py, || read_some(&mut &file, buf)).map_err(Error::from)
        })
    })?)
}

#[allow(clippy::too_many_arguments)]
pub fn putfo(
    py: Python<'_>,
    s: &Client,
    fl: Py<PyAny>,
    remote: &[u8],
    file_size: u64,
    callback: Option<Py<PyAny>>,
    confirm: bool,
    atomic: bool,
) -> PyResult<Option<Attrs>> {
    let read = fl.getattr(py, "read")?;
    Ok(upload_to(py, s, remote, confirm, atomic, |target, stat| {
        upload(py, s, target, file_size, callback, None, stat, |py, buf| {
            let data = read.call1(py, (buf.len(),))?;
            let data = data.bind(py);
            let bytes: Vec<u8> = if let Ok(text) = data.extract::<String>() {
                text.into_bytes()
            } else {
                data.extract::<Vec<u8>>()?
            };
            if bytes.len() > buf.len() {
                return Err(Error::OsMessage("read() returned more than asked".into()));
            }
            buf[..bytes.len()].copy_from_slice(&bytes);
            Ok(bytes.len())
        })
    })?)
}

/// Fill as much of `buf` as the file gives (0 only at EOF).
pub(crate) fn read_some(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_name_is_hidden_beside_the_target() {
        let name = temp_name_beside(b"/data/out/report.csv");
        let text = String::from_utf8(name).unwrap();
        assert!(text.starts_with("/data/out/.report.csv."), "{text}");
        assert!(text.ends_with(".ferrosftp-part"), "{text}");
        let bare = String::from_utf8(temp_name_beside(b"file")).unwrap();
        assert!(bare.starts_with(".file."), "{bare}");
        assert_ne!(
            temp_name_beside(b"a"),
            temp_name_beside(b"a"),
            "names must be unique per call"
        );
        let long = vec![b'x'; 255];
        assert!(
            temp_name_beside(&long).len() <= NAME_MAX,
            "temp name of a 255-byte name must fit"
        );
    }
}
