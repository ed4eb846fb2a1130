//! One SFTP channel, spoken by us (proto.rs) over a libssh2 session channel:
//! request ids, any number of requests in flight, replies matched by id in
//! whatever order they come.
//!
//! No lock is held while anyone waits for the network. A thread that wants a
//! reply either reads the channel for everyone (one reader at a time, through
//! `Shared::run`, so the connection is held for single non-blocking tries
//! only) or sleeps until the reader has routed new replies. So a progress
//! callback, the file object of `getfo`/`putfo`, or another thread can use the
//! same client in the middle of a transfer: its request simply joins the
//! others in flight.
//!
//! Lock order: the session's operation lock (inside `Shared::run`), then
//! `channel`, then `state`. `sending` is taken before any of them.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Condvar};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::proto::{self, Framer, Limits, Reply, Request};
use crate::channel::io_to_error;
use crate::error::{Error, Result};
use crate::locks::{Brief, WaitLock};
use crate::session::Shared;

/// The channel's receive window: what the server may send before we read.
/// libssh2's default (2 MiB, as OpenSSH's) caps a download at 2 MiB per
/// round trip: 20 MiB/s at 100 ms.
const WINDOW: u32 = 16 << 20;
/// Largest SSH packet we take: libssh2 refuses packets above 40,000 bytes.
const PACKET: u32 = 32 << 10;
/// Bytes taken from the channel per read try.
const READ_CHUNK: usize = 256 << 10;
/// How often a thread waiting on another thread's read looks at its deadline
/// and at Ctrl-C.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// Why the channel cannot be used any more.
#[derive(Clone, Debug)]
enum Failure {
    Dropped(String),
    Protocol(String),
    Closed,
}

impl Failure {
    fn to_error(&self) -> Error {
        match self {
            Failure::Dropped(msg) => Error::Dropped(msg.clone()),
            Failure::Protocol(msg) => Error::Ssh(msg.clone()),
            Failure::Closed => Error::OsMessage("Socket is closed".into()),
        }
    }
}

fn failure_of(e: &Error) -> Failure {
    match e {
        Error::Dropped(msg) => Failure::Dropped(msg.clone()),
        Error::OsMessage(_) => Failure::Closed,
        other => Failure::Protocol(other.to_string()),
    }
}

#[derive(Default)]
struct State {
    next_id: u32,
    /// Requests sent and not answered yet; Some once the reply is here.
    waiting: HashMap<u32, Option<Reply>>,
    /// The server's VERSION packet, the one packet without a request id.
    version: Option<Bytes>,
    /// A thread is reading the channel for everyone.
    reading: bool,
    failed: Option<Failure>,
}

pub struct SftpConn {
    session: Arc<Shared>,
    /// Locked for one libssh2 call at a time; None once closed.
    channel: WaitLock<Option<ssh2::Channel>>,
    /// The bytes read and not yet whole packets; locked by the reader
    /// while it holds `channel`, so bytes keep their order.
    inbox: WaitLock<Framer>,
    /// A request packet goes out whole: one sender at a time.
    sending: WaitLock<()>,
    state: Brief<State>,
    arrived: Condvar,
    pub version: u32,
    pub extensions: proto::Extensions,
    pub limits: Limits,
}

impl SftpConn {
    /// Open a channel, start the "sftp" subsystem, and agree on version 3.
    pub fn open(session: &Arc<Shared>, until: Option<Instant>) -> Result<SftpConn> {
        let mut conn = Self::start(session, until)?;
        let body = conn.wait_version(until)?;
        let (version, extensions) = proto::decode_version(&body).map_err(|e| Error::Ssh(e.to_string()))?;
        if version < 3 {
            return Err(Error::Ssh(format!(
                "the server speaks SFTP version {version}; version 3 is needed"
            )));
        }
        conn.version = version;
        conn.extensions = extensions;
        if conn.has_extension("limits@openssh.com") {
            if let Reply::Extended(data) = conn.call(
                &Request::Extended {
                    name: "limits@openssh.com",
                    body: &[],
                },
                until,
            )? {
                conn.limits = Limits::decode(&data).map_err(|e| Error::Ssh(e.to_string()))?;
            }
        }
        Ok(conn)
    }

    /// One more channel to the server `main` speaks to (a helper lane): its
    /// version, extensions and limits are `main`'s, so its first requests go
    /// out right behind the INIT instead of a round trip later (the server
    /// answers in order; the VERSION reply, when it comes, is set aside).
    pub fn open_beside(main: &SftpConn, until: Option<Instant>) -> Result<SftpConn> {
        let mut conn = Self::start(&main.session, until)?;
        conn.version = main.version;
        conn.extensions.clone_from(&main.extensions);
        conn.limits = main.limits;
        Ok(conn)
    }

    /// Open a channel, start the "sftp" subsystem and send INIT.
    fn start(session: &Arc<Shared>, until: Option<Instant>) -> Result<SftpConn> {
        let mut channel = {
            // channel opens take turns across the connection (libssh2 keeps
            // an open's state in the session)
            let _setup = session.setup_lock()?;
            session.run(until, || {
                Ok(session.sess.channel_open("session", WINDOW, PACKET, None)?)
            })?
        };
        // The subsystem request's state is the channel's own, and its reply
        // is told from other channels' (vendor/patches/libssh2-sys/0002):
        // the helper channels of a parallel transfer ask at the same time.
        session.run(until, || Ok(channel.subsystem("sftp")?))?;
        let conn = SftpConn {
            session: session.clone(),
            channel: WaitLock::new(Some(channel)),
            inbox: WaitLock::new(Framer::default()),
            sending: WaitLock::new(()),
            state: Brief::new(State::default()),
            arrived: Condvar::new(),
            version: 0,
            extensions: Vec::new(),
            limits: Limits::SAFE,
        };
        conn.send_packet(&[&proto::encode_init()], until)?;
        Ok(conn)
    }

    pub fn has_extension(&self, name: &str) -> bool {
        self.extensions.iter().any(|(n, _)| n == name)
    }

    /// Send a request; its reply is collected with `wait`.
    pub fn send(&self, req: &Request<'_>, until: Option<Instant>) -> Result<u32> {
        let id = self.state.with(|st| {
            if let Some(f) = &st.failed {
                return Err(f.to_error());
            }
            let id = st.next_id;
            st.next_id = st.next_id.wrapping_add(1);
            st.waiting.insert(id, None);
            Ok(id)
        })?;
        let (head, payload) = req.encode_parts(id);
        if let Err(e) = self.send_packet(&[&head, payload], until) {
            self.forget(id);
            return Err(e);
        }
        Ok(id)
    }

    /// The reply to request `id`, waiting for it until `until`.
    pub fn wait(&self, id: u32, until: Option<Instant>) -> Result<Reply> {
        match self.wait_slice(id, until, None)? {
            Some(reply) => Ok(reply),
            None => Err(Error::Timeout), // not reached: no slice
        }
    }

    /// As `wait`, but also gives up at `slice`, returning None with the
    /// request still waiting (a caller that must look at something else now
    /// and then, such as a cancel flag). At `until` the request is forgotten
    /// and the error is `Timeout`.
    pub fn wait_slice(&self, id: u32, until: Option<Instant>, slice: Option<Instant>) -> Result<Option<Reply>> {
        let stop = match (until, slice) {
            (Some(u), Some(s)) => Some(u.min(s)),
            (u, s) => u.or(s),
        };
        let past = |t: Option<Instant>| t.is_some_and(|t| Instant::now() >= t);
        loop {
            {
                let mut st = self.state.lock_detached()?;
                loop {
                    match st.waiting.get_mut(&id) {
                        Some(slot) => {
                            if let Some(reply) = slot.take() {
                                st.waiting.remove(&id);
                                return Ok(Some(reply));
                            }
                        }
                        None => return Err(Error::Ssh(format!("no SFTP request {id} is waiting"))),
                    }
                    if let Some(e) = st.failed.as_ref().map(Failure::to_error) {
                        st.waiting.remove(&id);
                        return Err(e);
                    }
                    if !st.reading {
                        st.reading = true;
                        break; // this thread reads for everyone (below)
                    }
                    let (guard, _) = self
                        .arrived
                        .wait_timeout(st, WAIT_SLICE)
                        .unwrap_or_else(|p| p.into_inner());
                    st = guard;
                    if past(until) {
                        st.waiting.remove(&id);
                        return Err(Error::Timeout);
                    }
                    if past(slice) {
                        return Ok(None);
                    }
                    // Ctrl-C needs Python: look at it without holding the state.
                    drop(st);
                    if let Err(e) = crate::session::check_signals_now_and_then() {
                        self.forget(id);
                        return Err(e);
                    }
                    st = self.state.lock_detached()?;
                }
            }
            let read = self.session.run(stop, || self.read_try());
            let ended = self.state.with(|st| {
                st.reading = false;
                self.arrived.notify_all();
                match read {
                    Err(Error::Timeout) if !past(until) => Some(Ok(None)), // the slice ended
                    Err(e) => {
                        st.waiting.remove(&id);
                        if !matches!(e, Error::Timeout | Error::Python(_)) {
                            st.failed.get_or_insert(failure_of(&e));
                        }
                        Some(Err(e))
                    }
                    Ok(_) => None,
                }
            });
            if let Some(ended) = ended {
                return ended;
            }
        }
    }

    /// Send a request and wait for its reply.
    pub fn call(&self, req: &Request<'_>, until: Option<Instant>) -> Result<Reply> {
        let asked = Instant::now();
        let id = self.send(req, until)?;
        let reply = self.wait(id, until)?;
        self.session.note_round_trip(asked.elapsed());
        Ok(reply)
    }

    /// Send a request nobody will wait for, from Drop (the GIL may be held):
    /// only if no lock is busy right now, and within half a second.
    pub fn send_nowait(&self, req: &Request<'_>) {
        let Some(_one) = self.sending.try_lock() else { return };
        let id = self.state.with(|st| {
            if st.failed.is_some() {
                return None;
            }
            let id = st.next_id;
            st.next_id = st.next_id.wrapping_add(1);
            Some(id)
        });
        let Some(id) = id else { return };
        let packet = req.encode(id);
        let mut sent = 0;
        while sent < packet.len() {
            let tried = self.session.try_run(crate::session::deadline(Some(0.5)), || {
                let Some(mut chan) = self.channel.try_lock() else {
                    return Err(Error::Again);
                };
                let chan = chan
                    .as_mut()
                    .ok_or_else(|| Error::OsMessage("Socket is closed".into()))?;
                match chan.write(&packet[sent..]).map_err(io_to_error) {
                    Ok(0) => Err(Error::Again),
                    other => other,
                }
            });
            match tried {
                Some(Ok(n)) => sent += n,
                _ => {
                    if sent > 0 {
                        self.fail(Error::Ssh(
                            "an SFTP request was cut short: the SFTP channel is closed".into(),
                        ));
                    }
                    return;
                }
            }
        }
    }

    /// Stop waiting for a request: its reply is dropped when it comes.
    pub fn forget(&self, id: u32) {
        self.state.with(|st| st.waiting.remove(&id));
    }

    /// True if the reply to `id` is here (or nobody waits for it).
    pub fn is_answered(&self, id: u32) -> bool {
        self.state.with(|st| !matches!(st.waiting.get(&id), Some(None)))
    }

    /// Replies not yet collected (requests in flight or answered).
    pub fn in_flight(&self) -> usize {
        self.state.with(|st| st.waiting.len())
    }

    pub fn failure(&self) -> Option<Error> {
        self.state.with(|st| st.failed.as_ref().map(Failure::to_error))
    }

    /// Give up on the channel (a request was cut short, a timeout): every
    /// waiter gets `why`.
    pub fn fail(&self, why: Error) {
        self.state.with(|st| {
            st.failed.get_or_insert(failure_of(&why));
            self.arrived.notify_all();
        });
    }

    /// Close the channel: CHANNEL_CLOSE is sent and not waited for.
    pub fn close(&self) {
        self.fail(Error::OsMessage("Socket is closed".into()));
        // refused only with the GIL held, where closing is Drop's job
        let taken = self.channel.lock().ok().and_then(|mut c| c.take());
        if let Some(mut chan) = taken {
            if self.session.is_active() {
                let until = crate::session::deadline(Some(2.0));
                let _ = self.session.run(until, || self.session.send_close(&mut chan));
            }
            self.session.free_channel(chan);
        }
    }

    /// Write one whole packet. A packet cut short would make the server read
    /// the next request as its rest: the channel is given up then.
    /// `parts` are one packet, sent one after the other under the sending lock.
    fn send_packet(&self, parts: &[&[u8]], until: Option<Instant>) -> Result<()> {
        let _one = self.sending.lock()?;
        let mut any_sent = false;
        for part in parts {
            let mut sent = 0;
            while sent < part.len() {
                match self.session.run(until, || self.write_try(&part[sent..])) {
                    Ok(n) => sent += n,
                    Err(e) => {
                        if any_sent || sent > 0 {
                            self.fail(Error::Ssh(format!(
                                "an SFTP request was cut short ({e}): the SFTP channel is closed"
                            )));
                        }
                        return Err(e);
                    }
                }
            }
            any_sent |= sent > 0;
        }
        Ok(())
    }

    /// One non-blocking write. When the channel's window is full, the replies
    /// that are here are taken in first: a server blocked on sending its
    /// replies stops reading our requests.
    fn write_try(&self, data: &[u8]) -> Result<usize> {
        let written = {
            let mut chan = self.channel.lock()?;
            let chan = chan
                .as_mut()
                .ok_or_else(|| Error::OsMessage("Socket is closed".into()))?;
            chan.write(data)
        };
        match written.map_err(io_to_error) {
            Ok(n) if n > 0 => Ok(n),
            Ok(_) | Err(Error::Again) => {
                let _ = self.read_try();
                Err(Error::Again)
            }
            Err(e) => Err(e),
        }
    }

    /// One non-blocking read, straight into the inbox; whole packets are
    /// routed to their waiters.
    fn read_try(&self) -> Result<usize> {
        let mut chan = self.channel.lock()?;
        let chan = chan
            .as_mut()
            .ok_or_else(|| Error::OsMessage("Socket is closed".into()))?;
        let mut inbox = self.inbox.lock()?;
        let n = inbox.read_into(READ_CHUNK, |room| chan.read(room).map_err(io_to_error))?;
        if n == 0 {
            return Err(Error::Dropped("the server closed the SFTP channel".into()));
        }
        let mut packets = Vec::new();
        let framed = loop {
            match inbox.next_packet() {
                Ok(Some(body)) => packets.push(body),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.state.with(|st| {
            let routed = framed.and_then(|()| Self::route(st, packets));
            self.arrived.notify_all();
            if let Err(e) = routed {
                let msg = e.to_string();
                st.failed.get_or_insert(Failure::Protocol(msg.clone()));
                return Err(Error::Ssh(msg));
            }
            Ok(n)
        })
    }

    fn route(st: &mut State, packets: Vec<Bytes>) -> std::result::Result<(), proto::ProtoError> {
        for body in packets {
            if st.version.is_none() && body.first() == Some(&proto::FXP_VERSION) {
                st.version = Some(body);
                continue;
            }
            let (id, reply) = proto::decode_reply(&body)?;
            // A reply nobody waits for any more (a timeout, a closed file) is dropped.
            if let Some(slot) = st.waiting.get_mut(&id) {
                *slot = Some(reply);
            }
        }
        Ok(())
    }

    fn wait_version(&self, until: Option<Instant>) -> Result<Bytes> {
        loop {
            if let Some(body) = self.state.with(|st| st.version.take()) {
                return Ok(body);
            }
            self.session.run(until, || self.read_try())?;
        }
    }
}

impl Drop for SftpConn {
    fn drop(&mut self) {
        // May run with the GIL held: send CHANNEL_CLOSE only if nobody is busy.
        let taken = self.channel.get_mut().take();
        if let Some(mut chan) = taken {
            let sent = self.session.try_run(crate::session::deadline(Some(0.5)), || {
                self.session.send_close(&mut chan)
            });
            if !matches!(sent, Some(Ok(()))) && self.session.sending() {
                // A packet left half sent: libssh2's free of this channel
                // waits (up to the closed session's timeout). Not with the GIL.
                let session = self.session.clone();
                let _ = crate::locks::spawn("ferrosftp-free", move || session.free_channel(chan));
            } else {
                self.session.free_channel(chan);
            }
        }
    }
}

/// A reply that should be a status: Ok for SSH_FX_OK, the status as an error
/// otherwise.
pub fn expect_ok(reply: Reply) -> Result<()> {
    match reply {
        Reply::Status { code: proto::FX_OK, .. } => Ok(()),
        Reply::Status { code, .. } => Err(Error::Sftp(code)),
        other => Err(unexpected(&other)),
    }
}

/// A reply that should be a HANDLE.
pub fn expect_handle(reply: Reply) -> Result<Vec<u8>> {
    match reply {
        Reply::Handle(h) => Ok(h),
        Reply::Status { code, .. } => Err(Error::Sftp(code)),
        other => Err(unexpected(&other)),
    }
}

/// A reply that should be an ATTRS.
pub fn expect_attrs(reply: Reply) -> Result<proto::FileAttrs> {
    match reply {
        Reply::Attrs(a) => Ok(a),
        Reply::Status { code, .. } => Err(Error::Sftp(code)),
        other => Err(unexpected(&other)),
    }
}

pub fn unexpected(reply: &Reply) -> Error {
    let kind = match reply {
        Reply::Status { .. } => "STATUS",
        Reply::Handle(_) => "HANDLE",
        Reply::Data(_) => "DATA",
        Reply::Name(_) => "NAME",
        Reply::Attrs(_) => "ATTRS",
        Reply::Extended(_) => "EXTENDED_REPLY",
    };
    Error::Ssh(format!("unexpected SFTP reply {kind}"))
}
