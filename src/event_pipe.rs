//! paramiko's channel "pipe": a descriptor that `select`, `selectors` and
//! `poll` see readable exactly while the channel has something to read (data
//! on stdout or stderr, or EOF/close), so forwarding loops can wait on many
//! channels and sockets at once.
//!
//! A connected pair of Unix sockets: one byte sits in it while the event is
//! set (paramiko's PosixPipe does the same with os.pipe). Windows would use a
//! loopback socket pair, as paramiko's WindowsPipe does.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

pub struct EventPipe {
    reader: UnixStream,
    writer: UnixStream,
    set: bool,
}

impl EventPipe {
    pub fn new() -> std::io::Result<EventPipe> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(EventPipe {
            reader,
            writer,
            set: false,
        })
    }

    /// The descriptor to hand to select/poll (the pipe keeps it open).
    pub fn fileno(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    /// Readable while `ready`; no system call when nothing changes.
    pub fn show(&mut self, ready: bool) {
        if ready == self.set {
            return;
        }
        if ready {
            let _ = (&self.writer).write(&[1]);
        } else {
            let mut byte = [0u8; 8];
            let _ = (&self.reader).read(&mut byte);
        }
        self.set = ready;
    }
}
