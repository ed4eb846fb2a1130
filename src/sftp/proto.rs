//! SFTP version 3 on the wire (draft-ietf-secsh-filexfer-02, as OpenSSH's
//! sftp-server speaks it, with OpenSSH's extensions): requests encoded to
//! packets, server packets decoded to replies. Pure data, no I/O: every
//! malformed or truncated server packet is a `ProtoError`, never a panic.

use std::fmt;

use bytes::{Bytes, BytesMut};

/// The protocol version we ask for (and the only one OpenSSH speaks).
pub const VERSION: u32 = 3;

/// Largest server packet accepted. OpenSSH sends at most 256 KiB of data per
/// reply (its SFTP_MAX_MSG_LENGTH); a longer length field means a broken or
/// hostile peer, and is refused before anything is allocated.
pub const MAX_PACKET: usize = 4 << 20;

// Packet types.
pub const FXP_INIT: u8 = 1;
pub const FXP_VERSION: u8 = 2;
pub const FXP_OPEN: u8 = 3;
pub const FXP_CLOSE: u8 = 4;
pub const FXP_READ: u8 = 5;
pub const FXP_WRITE: u8 = 6;
pub const FXP_LSTAT: u8 = 7;
pub const FXP_FSTAT: u8 = 8;
pub const FXP_SETSTAT: u8 = 9;
pub const FXP_FSETSTAT: u8 = 10;
pub const FXP_OPENDIR: u8 = 11;
pub const FXP_READDIR: u8 = 12;
pub const FXP_REMOVE: u8 = 13;
pub const FXP_MKDIR: u8 = 14;
pub const FXP_RMDIR: u8 = 15;
pub const FXP_REALPATH: u8 = 16;
pub const FXP_STAT: u8 = 17;
pub const FXP_RENAME: u8 = 18;
pub const FXP_READLINK: u8 = 19;
pub const FXP_SYMLINK: u8 = 20;
pub const FXP_STATUS: u8 = 101;
pub const FXP_HANDLE: u8 = 102;
pub const FXP_DATA: u8 = 103;
pub const FXP_NAME: u8 = 104;
pub const FXP_ATTRS: u8 = 105;
pub const FXP_EXTENDED: u8 = 200;
pub const FXP_EXTENDED_REPLY: u8 = 201;

// Open flags (pflags).
pub const FXF_READ: u32 = 0x01;
pub const FXF_WRITE: u32 = 0x02;
pub const FXF_CREAT: u32 = 0x08;
pub const FXF_TRUNC: u32 = 0x10;

// Status codes.
pub const FX_OK: u32 = 0;
pub const FX_EOF: u32 = 1;
pub const FX_NO_SUCH_FILE: u32 = 2;
pub const FX_OP_UNSUPPORTED: u32 = 8;

// Attribute flags.
const ATTR_SIZE: u32 = 0x1;
const ATTR_UIDGID: u32 = 0x2;
const ATTR_PERMISSIONS: u32 = 0x4;
const ATTR_ACMODTIME: u32 = 0x8;
const ATTR_EXTENDED: u32 = 0x8000_0000;

/// A server packet we cannot make sense of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError(pub String);

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad SFTP packet from the server: {}", self.0)
    }
}

fn bad(what: impl Into<String>) -> ProtoError {
    ProtoError(what.into())
}

/// File attributes; None where the packet has no value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileAttrs {
    pub size: Option<u64>,
    /// uid and gid travel together.
    pub uid_gid: Option<(u32, u32)>,
    pub permissions: Option<u32>,
    /// atime and mtime travel together.
    pub times: Option<(u32, u32)>,
    pub extended: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One entry of a NAME reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameEntry {
    pub filename: Vec<u8>,
    pub longname: Vec<u8>,
    pub attrs: FileAttrs,
}

/// The server's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Status {
        code: u32,
        message: String,
    },
    Handle(Vec<u8>),
    Data(Bytes),
    Name(Vec<NameEntry>),
    Attrs(FileAttrs),
    /// The rest of an EXTENDED_REPLY, for the extension to decode.
    Extended(Vec<u8>),
}

/// A request; `encode` frames it with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    Open {
        path: &'a [u8],
        pflags: u32,
        attrs: &'a FileAttrs,
    },
    Close {
        handle: &'a [u8],
    },
    Read {
        handle: &'a [u8],
        offset: u64,
        len: u32,
    },
    Write {
        handle: &'a [u8],
        offset: u64,
        data: &'a [u8],
    },
    Lstat {
        path: &'a [u8],
    },
    Fstat {
        handle: &'a [u8],
    },
    Setstat {
        path: &'a [u8],
        attrs: &'a FileAttrs,
    },
    Fsetstat {
        handle: &'a [u8],
        attrs: &'a FileAttrs,
    },
    Opendir {
        path: &'a [u8],
    },
    Readdir {
        handle: &'a [u8],
    },
    Remove {
        path: &'a [u8],
    },
    Mkdir {
        path: &'a [u8],
        attrs: &'a FileAttrs,
    },
    Rmdir {
        path: &'a [u8],
    },
    Realpath {
        path: &'a [u8],
    },
    Stat {
        path: &'a [u8],
    },
    Rename {
        old: &'a [u8],
        new: &'a [u8],
    },
    Readlink {
        path: &'a [u8],
    },
    /// OpenSSH's sftp-server takes (target, link) in this order, reversed
    /// from the draft; every client follows OpenSSH.
    Symlink {
        target: &'a [u8],
        link: &'a [u8],
    },
    /// An extension request: its name, then its own fields, already encoded.
    Extended {
        name: &'a str,
        body: &'a [u8],
    },
}

/// Builds packet bodies: big-endian integers and length-prefixed strings.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
        self
    }
    pub fn attrs(&mut self, a: &FileAttrs) -> &mut Self {
        let mut flags = 0;
        if a.size.is_some() {
            flags |= ATTR_SIZE;
        }
        if a.uid_gid.is_some() {
            flags |= ATTR_UIDGID;
        }
        if a.permissions.is_some() {
            flags |= ATTR_PERMISSIONS;
        }
        if a.times.is_some() {
            flags |= ATTR_ACMODTIME;
        }
        if !a.extended.is_empty() {
            flags |= ATTR_EXTENDED;
        }
        self.u32(flags);
        if let Some(size) = a.size {
            self.u64(size);
        }
        if let Some((uid, gid)) = a.uid_gid {
            self.u32(uid).u32(gid);
        }
        if let Some(p) = a.permissions {
            self.u32(p);
        }
        if let Some((atime, mtime)) = a.times {
            self.u32(atime).u32(mtime);
        }
        if !a.extended.is_empty() {
            self.u32(a.extended.len() as u32);
            for (k, v) in &a.extended {
                self.bytes(k).bytes(v);
            }
        }
        self
    }
}

/// Reads a packet body; every read checks what is left.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ProtoError> {
        if self.buf.len() < n {
            return Err(bad(format!("truncated {what}")));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    pub fn u8(&mut self) -> Result<u8, ProtoError> {
        Ok(self.take(1, "byte")?[0])
    }
    pub fn u32(&mut self) -> Result<u32, ProtoError> {
        let b = self.take(4, "uint32")?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64, ProtoError> {
        let b = self.take(8, "uint64")?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], ProtoError> {
        let n = self.u32()? as usize;
        self.take(n, "string")
    }
    pub fn attrs(&mut self) -> Result<FileAttrs, ProtoError> {
        let flags = self.u32()?;
        let mut a = FileAttrs::default();
        if flags & ATTR_SIZE != 0 {
            a.size = Some(self.u64()?);
        }
        if flags & ATTR_UIDGID != 0 {
            a.uid_gid = Some((self.u32()?, self.u32()?));
        }
        if flags & ATTR_PERMISSIONS != 0 {
            a.permissions = Some(self.u32()?);
        }
        if flags & ATTR_ACMODTIME != 0 {
            a.times = Some((self.u32()?, self.u32()?));
        }
        if flags & ATTR_EXTENDED != 0 {
            let n = self.u32()?;
            for _ in 0..n {
                // each pair is at least 8 bytes: a huge count runs out of packet
                a.extended.push((self.bytes()?.to_vec(), self.bytes()?.to_vec()));
            }
        }
        Ok(a)
    }
}

impl Request<'_> {
    /// The whole packet: length, type, id, fields.
    /// The whole packet, length prefix included.
    pub fn encode(&self, id: u32) -> Vec<u8> {
        let (mut head, payload) = self.encode_parts(id);
        head.extend_from_slice(payload);
        head
    }

    /// The packet as a head and the payload that follows it (a write's data,
    /// an extension's body), so the payload is sent from where it is instead
    /// of being copied into the packet.
    pub fn encode_parts(&self, id: u32) -> (Vec<u8>, &[u8]) {
        let mut w = Writer(Vec::with_capacity(64));
        w.u32(0); // the length, filled in below
        let payload: &[u8] = match self {
            Request::Open { path, pflags, attrs } => {
                w.u8(FXP_OPEN).u32(id).bytes(path).u32(*pflags).attrs(attrs);
                &[]
            }
            Request::Close { handle } => {
                w.u8(FXP_CLOSE).u32(id).bytes(handle);
                &[]
            }
            Request::Read { handle, offset, len } => {
                w.u8(FXP_READ).u32(id).bytes(handle).u64(*offset).u32(*len);
                &[]
            }
            Request::Write { handle, offset, data } => {
                w.u8(FXP_WRITE)
                    .u32(id)
                    .bytes(handle)
                    .u64(*offset)
                    .u32(data.len() as u32);
                data
            }
            Request::Lstat { path } => {
                w.u8(FXP_LSTAT).u32(id).bytes(path);
                &[]
            }
            Request::Fstat { handle } => {
                w.u8(FXP_FSTAT).u32(id).bytes(handle);
                &[]
            }
            Request::Setstat { path, attrs } => {
                w.u8(FXP_SETSTAT).u32(id).bytes(path).attrs(attrs);
                &[]
            }
            Request::Fsetstat { handle, attrs } => {
                w.u8(FXP_FSETSTAT).u32(id).bytes(handle).attrs(attrs);
                &[]
            }
            Request::Opendir { path } => {
                w.u8(FXP_OPENDIR).u32(id).bytes(path);
                &[]
            }
            Request::Readdir { handle } => {
                w.u8(FXP_READDIR).u32(id).bytes(handle);
                &[]
            }
            Request::Remove { path } => {
                w.u8(FXP_REMOVE).u32(id).bytes(path);
                &[]
            }
            Request::Mkdir { path, attrs } => {
                w.u8(FXP_MKDIR).u32(id).bytes(path).attrs(attrs);
                &[]
            }
            Request::Rmdir { path } => {
                w.u8(FXP_RMDIR).u32(id).bytes(path);
                &[]
            }
            Request::Realpath { path } => {
                w.u8(FXP_REALPATH).u32(id).bytes(path);
                &[]
            }
            Request::Stat { path } => {
                w.u8(FXP_STAT).u32(id).bytes(path);
                &[]
            }
            Request::Rename { old, new } => {
                w.u8(FXP_RENAME).u32(id).bytes(old).bytes(new);
                &[]
            }
            Request::Readlink { path } => {
                w.u8(FXP_READLINK).u32(id).bytes(path);
                &[]
            }
            Request::Symlink { target, link } => {
                w.u8(FXP_SYMLINK).u32(id).bytes(target).bytes(link);
                &[]
            }
            Request::Extended { name, body } => {
                w.u8(FXP_EXTENDED).u32(id).bytes(name.as_bytes());
                body
            }
        };
        let len = (w.0.len() - 4 + payload.len()) as u32;
        w.0[..4].copy_from_slice(&len.to_be_bytes());
        (w.0, payload)
    }
}

/// The INIT packet that opens the conversation.
pub fn encode_init() -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(5).u8(FXP_INIT).u32(VERSION);
    w.0
}

/// Extensions a server offers: (name, data).
pub type Extensions = Vec<(String, Vec<u8>)>;

/// The server's VERSION packet body (after the length): its version and
/// the extensions it offers, as (name, data).
pub fn decode_version(body: &[u8]) -> Result<(u32, Extensions), ProtoError> {
    let mut r = Reader::new(body);
    let kind = r.u8()?;
    if kind != FXP_VERSION {
        return Err(bad(format!("expected VERSION, got packet type {kind}")));
    }
    let version = r.u32()?;
    let mut extensions = Vec::new();
    while !r.is_empty() {
        let name = String::from_utf8_lossy(r.bytes()?).into_owned();
        let data = r.bytes()?.to_vec();
        extensions.push((name, data));
    }
    Ok((version, extensions))
}

/// A reply packet body (after the length): its request id and content.
/// A DATA reply's bytes stay in `body`'s buffer (no copy).
pub fn decode_reply(body: &Bytes) -> Result<(u32, Reply), ProtoError> {
    let mut r = Reader::new(body);
    let kind = r.u8()?;
    let id = r.u32()?;
    let reply = match kind {
        FXP_STATUS => {
            let code = r.u32()?;
            // Version 3 servers may omit the message and language tag.
            let message = if r.is_empty() {
                String::new()
            } else {
                String::from_utf8_lossy(r.bytes()?).into_owned()
            };
            if !r.is_empty() {
                r.bytes()?;
            }
            Reply::Status { code, message }
        }
        FXP_HANDLE => Reply::Handle(r.bytes()?.to_vec()),
        FXP_DATA => {
            let data = r.bytes()?;
            Reply::Data(if data.len() < SHARE_MIN {
                Bytes::copy_from_slice(data)
            } else {
                body.slice_ref(data)
            })
        }
        FXP_NAME => {
            let n = r.u32()?;
            let mut entries = Vec::new();
            for _ in 0..n {
                // at least 12 bytes per entry: a huge count runs out of packet
                let filename = r.bytes()?.to_vec();
                let longname = r.bytes()?.to_vec();
                let attrs = r.attrs()?;
                entries.push(NameEntry {
                    filename,
                    longname,
                    attrs,
                });
            }
            Reply::Name(entries)
        }
        FXP_ATTRS => Reply::Attrs(r.attrs()?),
        FXP_EXTENDED_REPLY => Reply::Extended(r.buf.to_vec()),
        other => return Err(bad(format!("unknown reply type {other}"))),
    };
    Ok((id, reply))
}

/// Splits a byte stream into packet bodies.
#[derive(Default)]
pub struct Framer {
    /// Bytes received and not yet handed out as packets. A packet handed
    /// out shares this buffer (`Bytes`), so no packet is copied.
    buf: BytesMut,
    /// How many bytes past `buf.len()` are initialized memory (zeroed or
    /// read into before), so they need no zeroing before the next read.
    ready: usize,
}

/// Room the framer keeps ahead: a new buffer is made (or the old one
/// reclaimed, once every packet in it is dropped) once per this many bytes.
/// A DATA reply kept alive keeps its buffer: this bounds what it holds.
const FRAMER_BUFFER: usize = 1 << 20;

/// DATA replies shorter than this are copied out rather than sharing (and
/// keeping alive) the receive buffer: copying them costs little.
const SHARE_MIN: usize = 32 << 10;

impl Framer {
    #[cfg(test)]
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        self.ready = 0;
    }

    /// Receive straight into the buffer: `read` gets `room` bytes to fill
    /// and says how many it wrote.
    pub fn read_into<E>(&mut self, room: usize, read: impl FnOnce(&mut [u8]) -> Result<usize, E>) -> Result<usize, E> {
        if self.buf.capacity() - self.buf.len() < room {
            self.buf.reserve(room.max(FRAMER_BUFFER));
            self.ready = 0; // new (or moved) memory: nothing known
        }
        let len = self.buf.len();
        if self.ready < room {
            for b in &mut self.buf.spare_capacity_mut()[self.ready..room] {
                b.write(0);
            }
            self.ready = room;
        }
        // SAFETY: the `room` bytes after `len` are within capacity (reserved
        // above) and initialized: zeroed just now or earlier in this
        // allocation, or written by an earlier read (`ready` tracks them).
        unsafe { self.buf.set_len(len + room) };
        let got = read(&mut self.buf[len..]);
        let kept = got.as_ref().map_or(0, |n| (*n).min(room));
        self.buf.truncate(len + kept);
        self.ready = room - kept;
        got
    }

    /// The next whole packet body, if one has arrived.
    pub fn next_packet(&mut self) -> Result<Option<Bytes>, ProtoError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len == 0 || len > MAX_PACKET {
            return Err(bad(format!("packet length {len}")));
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let mut packet = self.buf.split_to(4 + len).freeze();
        Ok(Some(packet.split_off(4)))
    }

    /// Bytes received that are not yet a whole packet.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// The server's limits (`limits@openssh.com`), or OpenSSH's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_packet: u64,
    pub max_read: u64,
    pub max_write: u64,
    pub max_open_handles: u64,
}

impl Limits {
    /// What every SFTP v3 server must take: 32 KiB reads and writes
    /// (the draft's minimum), used until the server says more.
    pub const SAFE: Limits = Limits {
        max_packet: 34_000,
        max_read: 32_768,
        max_write: 32_768,
        max_open_handles: 0,
    };

    pub fn decode(data: &[u8]) -> Result<Limits, ProtoError> {
        let mut r = Reader::new(data);
        Ok(Limits {
            max_packet: r.u64()?,
            max_read: r.u64()?,
            max_write: r.u64()?,
            max_open_handles: r.u64()?,
        })
    }
}

/// `statvfs@openssh.com`'s reply, field by field (as os.statvfs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatVfs {
    pub bsize: u64,
    pub frsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub favail: u64,
    pub fsid: u64,
    pub flag: u64,
    pub namemax: u64,
}

impl StatVfs {
    pub fn decode(data: &[u8]) -> Result<StatVfs, ProtoError> {
        let mut r = Reader::new(data);
        Ok(StatVfs {
            bsize: r.u64()?,
            frsize: r.u64()?,
            blocks: r.u64()?,
            bfree: r.u64()?,
            bavail: r.u64()?,
            files: r.u64()?,
            ffree: r.u64()?,
            favail: r.u64()?,
            fsid: r.u64()?,
            flag: r.u64()?,
            namemax: r.u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn body(packet: &[u8]) -> &[u8] {
        let len = u32::from_be_bytes([packet[0], packet[1], packet[2], packet[3]]) as usize;
        assert_eq!(len, packet.len() - 4);
        &packet[4..]
    }

    #[test]
    fn init_is_type_1_version_3() {
        assert_eq!(encode_init(), vec![0, 0, 0, 5, 1, 0, 0, 0, 3]);
    }

    #[test]
    fn stat_request_layout() {
        let p = Request::Stat { path: b"/tmp" }.encode(7);
        assert_eq!(
            p,
            vec![0, 0, 0, 13, FXP_STAT, 0, 0, 0, 7, 0, 0, 0, 4, b'/', b't', b'm', b'p']
        );
    }

    #[test]
    fn write_request_layout() {
        let p = Request::Write {
            handle: b"h",
            offset: 0x0102,
            data: b"xyz",
        }
        .encode(1);
        let mut r = Reader::new(body(&p));
        assert_eq!(r.u8().unwrap(), FXP_WRITE);
        assert_eq!(r.u32().unwrap(), 1);
        assert_eq!(r.bytes().unwrap(), b"h");
        assert_eq!(r.u64().unwrap(), 0x0102);
        assert_eq!(r.bytes().unwrap(), b"xyz");
        assert!(r.is_empty());
    }

    #[test]
    fn version_with_extensions() {
        let mut w = Writer::default();
        w.u8(FXP_VERSION).u32(3).bytes(b"posix-rename@openssh.com").bytes(b"1");
        let (v, ext) = decode_version(&w.0).unwrap();
        assert_eq!(v, 3);
        assert_eq!(ext, vec![("posix-rename@openssh.com".to_string(), b"1".to_vec())]);
    }

    #[test]
    fn status_without_message_is_accepted() {
        let mut w = Writer::default();
        w.u8(FXP_STATUS).u32(9).u32(FX_EOF);
        assert_eq!(
            decode_reply(&Bytes::from(w.0)).unwrap(),
            (
                9,
                Reply::Status {
                    code: FX_EOF,
                    message: String::new()
                }
            )
        );
    }

    #[test]
    fn huge_counts_run_out_of_packet() {
        let mut w = Writer::default();
        w.u8(FXP_NAME).u32(1).u32(u32::MAX);
        assert!(decode_reply(&Bytes::from(w.0)).is_err());
        let mut w = Writer::default();
        w.u8(FXP_ATTRS).u32(1).u32(ATTR_EXTENDED).u32(u32::MAX);
        assert!(decode_reply(&Bytes::from(w.0)).is_err());
    }

    #[test]
    fn framer_reads_in_place_and_keeps_partial_packets() {
        let mut f = Framer::default();
        let stream = [0, 0, 0, 3, 7, 8, 9, 0, 0, 0, 1];
        let n = f.read_into(64, |room| {
            room[..stream.len()].copy_from_slice(&stream);
            Ok::<_, ()>(stream.len())
        });
        assert_eq!(n, Ok(11));
        assert_eq!(&f.next_packet().unwrap().unwrap()[..], &[7, 8, 9]);
        assert!(f.next_packet().unwrap().is_none());
        assert_eq!(f.pending(), 4);
        assert!(f.read_into(8, |_| Err::<usize, _>("failed")).is_err());
        assert_eq!(f.pending(), 4, "a failed read adds nothing");
        let n = f.read_into(8, |room| {
            room[0] = 5;
            Ok::<_, ()>(1)
        });
        assert_eq!(n, Ok(1));
        assert_eq!(&f.next_packet().unwrap().unwrap()[..], &[5]);
        assert_eq!(f.pending(), 0);
        // many reads through one buffer and past its end, packets kept alive
        let mut kept = Vec::new();
        for i in 0..(3 * FRAMER_BUFFER / 1000) {
            let packet: Vec<u8> = [&996u32.to_be_bytes()[..], &[(i % 251) as u8; 996]].concat();
            f.read_into(4096, |room| {
                room[..1000].copy_from_slice(&packet);
                Ok::<_, ()>(1000)
            })
            .unwrap();
            let body = f.next_packet().unwrap().unwrap();
            assert!(body.iter().all(|&b| b == (i % 251) as u8));
            kept.push(body);
        }
        assert!(kept
            .iter()
            .enumerate()
            .all(|(i, b)| b.len() == 996 && b[0] == (i % 251) as u8));
    }

    #[test]
    fn framer_refuses_absurd_lengths() {
        let mut f = Framer::default();
        f.push(&[0xff, 0xff, 0xff, 0xff, 1]);
        assert!(f.next_packet().is_err());
        let mut f = Framer::default();
        f.push(&[0, 0, 0, 0]);
        assert!(f.next_packet().is_err());
    }

    #[test]
    fn limits_and_statvfs() {
        let mut w = Writer::default();
        w.u64(262_144).u64(261_120).u64(261_120).u64(1024);
        let l = Limits::decode(&w.0).unwrap();
        assert_eq!((l.max_read, l.max_write, l.max_open_handles), (261_120, 261_120, 1024));
        assert!(Limits::decode(&w.0[..20]).is_err());
        let mut w = Writer::default();
        for i in 0..11u64 {
            w.u64(i);
        }
        assert_eq!(StatVfs::decode(&w.0).unwrap().namemax, 10);
        assert!(StatVfs::decode(&w.0[..80]).is_err());
    }

    fn attrs_strategy() -> impl Strategy<Value = FileAttrs> {
        (
            proptest::option::of(any::<u64>()),
            proptest::option::of((any::<u32>(), any::<u32>())),
            proptest::option::of(any::<u32>()),
            proptest::option::of((any::<u32>(), any::<u32>())),
            proptest::collection::vec(
                (
                    proptest::collection::vec(any::<u8>(), 0..8),
                    proptest::collection::vec(any::<u8>(), 0..8),
                ),
                0..3,
            ),
        )
            .prop_map(|(size, uid_gid, permissions, times, extended)| FileAttrs {
                size,
                uid_gid,
                permissions,
                times,
                extended,
            })
    }

    /// Encodes a reply the way a server would.
    fn encode_reply(id: u32, reply: &Reply) -> Vec<u8> {
        let mut w = Writer::default();
        match reply {
            Reply::Status { code, message } => {
                w.u8(FXP_STATUS)
                    .u32(id)
                    .u32(*code)
                    .bytes(message.as_bytes())
                    .bytes(b"en");
            }
            Reply::Handle(h) => {
                w.u8(FXP_HANDLE).u32(id).bytes(h);
            }
            Reply::Data(d) => {
                w.u8(FXP_DATA).u32(id).bytes(d);
            }
            Reply::Name(entries) => {
                w.u8(FXP_NAME).u32(id).u32(entries.len() as u32);
                for e in entries {
                    w.bytes(&e.filename).bytes(&e.longname).attrs(&e.attrs);
                }
            }
            Reply::Attrs(a) => {
                w.u8(FXP_ATTRS).u32(id).attrs(a);
            }
            Reply::Extended(d) => {
                w.u8(FXP_EXTENDED_REPLY).u32(id);
                w.0.extend_from_slice(d);
            }
        }
        w.0
    }

    fn reply_strategy() -> impl Strategy<Value = Reply> {
        let bytes = || proptest::collection::vec(any::<u8>(), 0..64);
        prop_oneof![
            (any::<u32>(), "[a-z ]{0,20}").prop_map(|(code, message)| Reply::Status { code, message }),
            bytes().prop_map(Reply::Handle),
            bytes().prop_map(|d| Reply::Data(d.into())),
            proptest::collection::vec(
                (bytes(), bytes(), attrs_strategy()).prop_map(|(filename, longname, attrs)| NameEntry {
                    filename,
                    longname,
                    attrs
                }),
                0..4
            )
            .prop_map(Reply::Name),
            attrs_strategy().prop_map(Reply::Attrs),
            bytes().prop_map(Reply::Extended),
        ]
    }

    proptest! {
        #[test]
        fn replies_round_trip(id in any::<u32>(), reply in reply_strategy()) {
            let encoded = encode_reply(id, &reply);
            prop_assert_eq!(decode_reply(&Bytes::from(encoded)).unwrap(), (id, reply));
        }

        #[test]
        fn attrs_round_trip(a in attrs_strategy()) {
            let mut w = Writer::default();
            w.attrs(&a);
            let mut r = Reader::new(&w.0);
            prop_assert_eq!(r.attrs().unwrap(), a);
            prop_assert!(r.is_empty());
        }

        #[test]
        fn every_truncation_is_an_error(id in any::<u32>(), reply in reply_strategy()) {
            let encoded = encode_reply(id, &reply);
            for cut in 0..encoded.len() {
                // a cut inside a STATUS's optional tail is still a valid status
                let shorter = decode_reply(&Bytes::copy_from_slice(&encoded[..cut]));
                if let Ok((_, Reply::Status { .. })) = shorter {
                    continue;
                }
                if let Ok((_, Reply::Extended(_))) = shorter {
                    continue; // an extended reply's body is the extension's to check
                }
                prop_assert!(shorter.is_err(), "cut at {} of {:?}", cut, reply);
            }
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_reply(&Bytes::from(data.clone()));
            let _ = decode_version(&data);
            let _ = Limits::decode(&data);
            let _ = StatVfs::decode(&data);
            let mut f = Framer::default();
            f.push(&data);
            while let Ok(Some(_)) = f.next_packet() {}
        }

        #[test]
        fn framer_reassembles_any_split(
            packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..100), 1..8),
            split in proptest::collection::vec(1usize..50, 1..20),
        ) {
            let mut stream = Vec::new();
            for p in &packets {
                stream.extend_from_slice(&(p.len() as u32).to_be_bytes());
                stream.extend_from_slice(p);
            }
            let mut f = Framer::default();
            let mut out = Vec::new();
            let mut pos = 0;
            let mut i = 0;
            while pos < stream.len() {
                let n = split[i % split.len()].min(stream.len() - pos);
                f.push(&stream[pos..pos + n]);
                pos += n;
                i += 1;
                while let Some(b) = f.next_packet().unwrap() {
                    out.push(b.to_vec());
                }
            }
            prop_assert_eq!(out, packets);
            prop_assert_eq!(f.pending(), 0);
        }

        #[test]
        fn requests_frame_their_own_length(
            id in any::<u32>(),
            path in proptest::collection::vec(any::<u8>(), 0..64),
            data in proptest::collection::vec(any::<u8>(), 0..300),
            a in attrs_strategy(),
        ) {
            for req in [
                Request::Open { path: &path, pflags: 0x1a, attrs: &a },
                Request::Write { handle: &path, offset: 5, data: &data },
                Request::Setstat { path: &path, attrs: &a },
                Request::Rename { old: &path, new: &data },
                Request::Extended { name: "x@y", body: &data },
            ] {
                let p = req.encode(id);
                let mut r = Reader::new(body(&p));
                r.u8().unwrap();
                prop_assert_eq!(r.u32().unwrap(), id);
                // the head and the payload sent after it are the same packet
                let (head, payload) = req.encode_parts(id);
                prop_assert_eq!([&head[..], payload].concat(), p);
            }
        }
    }
}
