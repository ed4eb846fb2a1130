//! Many requests of one file in flight: reads ahead of the consumer and
//! writes behind the producer, in the server's largest request size.
//! Everything here waits for the network: call it with the GIL released.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::client::{Client, Handle};
use super::conn::{expect_ok, unexpected, SftpConn};
use super::proto::{Reply, Request, FX_EOF};
use crate::error::{Error, Result};

/// Read bytes in flight: twice bandwidth x round trip, as measured while the
/// transfer runs, between these bounds (32 MiB covers 160 MiB/s at 100 ms).
/// Never more: whatever is in flight is what a request made after an
/// interrupt waits behind.
const READ_WINDOW_MIN: usize = 1 << 20;
const READ_WINDOW_MAX: usize = 32 << 20;
/// From this round trip on, `ReadAhead::prime` sends a whole window.
const PRIME_FAR_RTT: Duration = Duration::from_millis(5);
/// Unacknowledged bytes of writes in flight.
const WRITE_WINDOW: usize = 8 << 20;

/// How often a lane with a cancel flag looks at it while it waits.
const CANCEL_SLICE: Duration = Duration::from_millis(100);

/// Where a pipeline's requests go: an SFTP channel of a client (its own, or
/// a helper channel of a parallel transfer), with the client's timeout, and
/// a flag that stops it while it waits.
#[derive(Clone, Copy)]
pub struct Lane<'a> {
    pub client: &'a Client,
    pub conn: &'a SftpConn,
    pub cancel: Option<&'a AtomicBool>,
}

impl<'a> Lane<'a> {
    /// The client's own channel.
    pub fn main(client: &'a Client) -> Lane<'a> {
        Lane {
            client,
            conn: &client.conn,
            cancel: None,
        }
    }

    pub fn send(&self, req: &Request<'_>) -> Result<u32> {
        self.client.check_usable()?;
        self.client.settle(self.conn.send(req, self.client.deadline()))
    }

    /// Send a request whose reply nobody waits for (a close or remove that
    /// cleans up; its reply is dropped when it comes).
    pub fn send_unwaited(&self, req: &Request<'_>) {
        if let Ok(id) = self.send(req) {
            self.conn.forget(id);
        }
    }

    pub fn wait(&self, id: u32) -> Result<Reply> {
        let until = self.client.deadline();
        let Some(cancel) = self.cancel else {
            return self.client.settle(self.conn.wait(id, until));
        };
        loop {
            if cancel.load(Ordering::SeqCst) {
                self.conn.forget(id);
                return Err(Error::Ssh("the transfer was stopped".into()));
            }
            let slice = Instant::now() + CANCEL_SLICE;
            if let Some(reply) = self.client.settle(self.conn.wait_slice(id, until, Some(slice)))? {
                return Ok(reply);
            }
        }
    }
}

/// Requests sent one behind the other on a lane, their replies taken in
/// the same order: one round trip for all. The replies not taken (an error
/// came first) are let go when this is dropped.
pub struct InOrder<'a> {
    lane: Lane<'a>,
    ids: VecDeque<u32>,
}

impl<'a> InOrder<'a> {
    pub fn new(lane: Lane<'a>) -> InOrder<'a> {
        InOrder {
            lane,
            ids: VecDeque::new(),
        }
    }

    pub fn send(&mut self, req: &Request<'_>) -> Result<()> {
        let id = self.lane.send(req)?;
        self.ids.push_back(id);
        Ok(())
    }

    /// A request already sent on this lane (by id), next in line.
    pub fn adopt(&mut self, id: u32) {
        self.ids.push_back(id);
    }

    /// The reply to the oldest request not yet taken.
    pub fn next(&mut self) -> Result<Reply> {
        let id = self
            .ids
            .pop_front()
            .ok_or_else(|| Error::Ssh("no SFTP request is waiting".into()))?;
        self.lane.wait(id)
    }
}

impl Drop for InOrder<'_> {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            self.lane.conn.forget(id);
        }
    }
}

/// Sequential reads of one handle, from `next` up to `end` (None: to EOF).
pub struct ReadAhead<'a> {
    lane: Lane<'a>,
    handle: &'a Handle,
    next: u64,
    end: Option<u64>,
    /// (request id, offset, length, sent at), oldest first.
    queue: VecDeque<(u32, u64, u32, Instant)>,
    in_flight: usize,
    window: usize,
    min_window: usize,
    request: usize,
    eof: bool,
    /// Shortest request-to-reply time seen: the round trip without queueing.
    rtt: Option<Duration>,
    /// Bytes per second delivered (see `learn`), and its measuring mark.
    rate: f64,
    mark: Instant,
    since_mark: u64,
}

impl<'a> ReadAhead<'a> {
    pub fn new(lane: Lane<'a>, handle: &'a Handle, start: u64, end: Option<u64>) -> ReadAhead<'a> {
        ReadAhead {
            lane,
            handle,
            next: start,
            end,
            queue: VecDeque::new(),
            in_flight: 0,
            window: READ_WINDOW_MIN,
            min_window: READ_WINDOW_MIN,
            request: lane.client.max_read(),
            eof: false,
            rtt: None,
            rate: 0.0,
            mark: Instant::now(),
            since_mark: 0,
        }
    }

    /// After a reply of `len` bytes; `took` is its request-to-reply time if
    /// we had to wait for it (a reply already here says nothing about the
    /// round trip).
    fn learn(&mut self, len: usize, took: Option<Duration>) {
        if let Some(t) = took {
            self.rtt = Some(self.rtt.map_or(t, |r| r.min(t)));
        }
        self.since_mark += len as u64;
        let Some(rtt) = self.rtt else { return };
        let span = self.mark.elapsed();
        if span < rtt.max(Duration::from_millis(5)) {
            return;
        }
        // The delivery rate: the best recent sample, slowly forgotten.
        let sample = self.since_mark as f64 / span.as_secs_f64();
        self.rate = sample.max(self.rate * 0.9);
        self.mark = Instant::now();
        self.since_mark = 0;
        let want = 2.0 * self.rate * rtt.as_secs_f64();
        // at most double per round: a window-bound transfer grows each round
        self.window = (want as usize)
            .clamp(self.min_window, READ_WINDOW_MAX)
            .min(self.window * 2);
    }

    /// One of `lanes` reading the same link at once: the smallest window is
    /// shared, so what is in flight after an interrupt stays what one
    /// transfer would have.
    pub fn sharing(mut self, lanes: usize) -> ReadAhead<'a> {
        self.min_window = (READ_WINDOW_MIN / lanes.max(1)).max(self.request);
        self.window = self.min_window;
        self
    }

    /// Start from the window an earlier read of the same lane reached.
    pub fn resuming(mut self, window: usize) -> ReadAhead<'a> {
        self.window = window.clamp(self.min_window, READ_WINDOW_MAX);
        self
    }

    /// The bytes it keeps in flight now.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Send the first reads now, before the caller waits for something else
    /// (the fstat that tells the size). Near the server, one request: the
    /// rest of the window follows at once, and a small file's extra reads
    /// would only cost both sides CPU. Far from it, the whole first window:
    /// a round trip of it is worth more than a few reads past the end.
    pub fn prime(&mut self) -> Result<()> {
        let far = self
            .lane
            .client
            .session
            .round_trip()
            .is_some_and(|rtt| rtt >= PRIME_FAR_RTT);
        if far {
            return self.fill();
        }
        let window = std::mem::replace(&mut self.window, 1);
        let sent = self.fill();
        self.window = window;
        sent
    }

    /// The end learnt after reads went out (the file's size from an fstat
    /// sent with them): reads at or past it are let go, and no byte past it
    /// is asked for or returned.
    pub fn end_at(&mut self, end: u64) {
        self.end = Some(end);
        while let Some(&(id, offset, len, _)) = self.queue.back() {
            if offset < end {
                break;
            }
            self.lane.conn.forget(id);
            self.in_flight -= len as usize;
            self.queue.pop_back();
        }
    }

    /// A read of at most `limit` bytes from `start`: no more is asked for.
    pub fn bounded(lane: Lane<'a>, handle: &'a Handle, start: u64, limit: u64) -> ReadAhead<'a> {
        ReadAhead::new(lane, handle, start, Some(start.saturating_add(limit)))
    }

    fn fill(&mut self) -> Result<()> {
        while !self.eof && self.in_flight < self.window {
            let len = match self.end {
                Some(end) if self.next >= end => return Ok(()),
                Some(end) => (end - self.next).min(self.request as u64) as u32,
                None => self.request as u32,
            };
            let id = self.lane.send(&Request::Read {
                handle: &self.handle.0,
                offset: self.next,
                len,
            })?;
            self.queue.push_back((id, self.next, len, Instant::now()));
            self.next += u64::from(len);
            self.in_flight += len as usize;
        }
        Ok(())
    }

    /// The next bytes in file order; empty at the end.
    pub fn next_piece(&mut self) -> Result<Bytes> {
        self.fill()?;
        let Some((id, offset, len, sent)) = self.queue.pop_front() else {
            return Ok(Bytes::new());
        };
        self.in_flight -= len as usize;
        // A reply already here says nothing about the round trip.
        let waited = !self.lane.conn.is_answered(id);
        let reply = self.lane.wait(id)?;
        if let Reply::Data(data) = &reply {
            self.learn(data.len(), waited.then(|| sent.elapsed()));
        }
        match reply {
            Reply::Data(data) if data.len() > len as usize => Err(Error::Ssh(format!(
                "the server sent {} bytes for a read of {len}",
                data.len()
            ))),
            Reply::Data(data) if data.is_empty() => {
                self.stop();
                Ok(data)
            }
            Reply::Data(mut data) => {
                // bytes past an end learnt after the read went out
                let past = (offset + data.len() as u64).saturating_sub(self.end.unwrap_or(u64::MAX));
                if past > 0 {
                    data.truncate(data.len() - past as usize);
                }
                let wanted = match self.end {
                    Some(end) => (end.saturating_sub(offset)).min(u64::from(len)) as usize,
                    None => len as usize,
                };
                if data.len() < wanted {
                    // A short read: ask for the rest now, ahead of the others.
                    let rest = (offset + data.len() as u64, (wanted - data.len()) as u32);
                    let id = self.lane.send(&Request::Read {
                        handle: &self.handle.0,
                        offset: rest.0,
                        len: rest.1,
                    })?;
                    self.queue.push_front((id, rest.0, rest.1, Instant::now()));
                    self.in_flight += rest.1 as usize;
                }
                Ok(data)
            }
            Reply::Status { code: FX_EOF, .. } => {
                self.stop();
                Ok(Bytes::new())
            }
            Reply::Status { code, .. } => Err(Error::Sftp(code)),
            other => Err(unexpected(&other)),
        }
    }

    /// Pieces in file order adding up to about `want` bytes; empty at the end.
    pub fn collect(&mut self, want: usize) -> Result<Vec<Bytes>> {
        let mut pieces = Vec::new();
        let mut got = 0;
        while got < want {
            let piece = self.next_piece()?;
            if piece.is_empty() {
                break;
            }
            got += piece.len();
            pieces.push(piece);
        }
        Ok(pieces)
    }

    /// The end of the file: replies still to come are dropped.
    fn stop(&mut self) {
        self.eof = true;
        for (id, ..) in self.queue.drain(..) {
            self.lane.conn.forget(id);
        }
        self.in_flight = 0;
    }
}

impl Drop for ReadAhead<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes in flight to one handle, kept between calls (an open file's
/// write-behind): every reply is checked, the first error is returned by
/// the next call. `WriteBehind` is the same for the span of one call.
#[derive(Default)]
pub struct WriteQueue {
    /// Where the next write goes.
    pub next: u64,
    /// (request id, length), oldest first.
    queue: VecDeque<(u32, usize)>,
    in_flight: usize,
    /// Bytes the server confirmed.
    pub acked: u64,
}

impl WriteQueue {
    pub fn starting_at(next: u64) -> WriteQueue {
        WriteQueue {
            next,
            ..WriteQueue::default()
        }
    }

    /// Send `data` from `next`, waiting for the oldest replies only while
    /// more than the window is in flight.
    pub fn write(&mut self, lane: Lane<'_>, handle: &Handle, data: &[u8]) -> Result<()> {
        for piece in data.chunks(lane.client.max_write()) {
            while self.in_flight + piece.len() > WRITE_WINDOW && !self.queue.is_empty() {
                self.reap_one(lane)?;
            }
            let id = lane.send(&Request::Write {
                handle: &handle.0,
                offset: self.next,
                data: piece,
            })?;
            self.queue.push_back((id, piece.len()));
            self.next += piece.len() as u64;
            self.in_flight += piece.len();
        }
        Ok(())
    }

    fn reap_one(&mut self, lane: Lane<'_>) -> Result<()> {
        if let Some((id, len)) = self.queue.pop_front() {
            self.in_flight -= len;
            expect_ok(lane.wait(id)?)?;
            self.acked += len as u64;
        }
        Ok(())
    }

    /// Wait for every write to be confirmed; on the first error the others
    /// are let go and the error returned.
    pub fn finish(&mut self, lane: Lane<'_>) -> Result<()> {
        while !self.queue.is_empty() {
            if let Err(e) = self.reap_one(lane) {
                self.forget(lane);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Stop waiting for the writes in flight (their replies are dropped).
    pub fn forget(&mut self, lane: Lane<'_>) {
        for (id, _) in self.queue.drain(..) {
            lane.conn.forget(id);
        }
        self.in_flight = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// Sequential writes of one handle within one call.
pub struct WriteBehind<'a> {
    lane: Lane<'a>,
    handle: &'a Handle,
    queue: WriteQueue,
}

impl<'a> WriteBehind<'a> {
    pub fn new(lane: Lane<'a>, handle: &'a Handle, start: u64) -> WriteBehind<'a> {
        WriteBehind {
            lane,
            handle,
            queue: WriteQueue::starting_at(start),
        }
    }

    /// Go on writing at `offset`; the writes in flight stay in flight.
    pub fn jump(&mut self, offset: u64) {
        self.queue.next = offset;
    }

    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.queue.write(self.lane, self.handle, data)
    }

    /// Bytes the server confirmed.
    pub fn acked(&self) -> u64 {
        self.queue.acked
    }

    /// Wait for every write to be confirmed.
    pub fn finish(&mut self) -> Result<()> {
        self.queue.finish(self.lane)
    }

    /// Send the handle's close behind the writes in flight, and `then`
    /// behind the close; wait for all, in order: one round trip for all
    /// instead of one each. A failed write is the error (the replies behind
    /// it are let go).
    pub fn close_behind(&mut self, then: Option<&Request<'_>>) -> Result<Option<Reply>> {
        let mut replies = InOrder::new(self.lane);
        replies.send(&Request::Close { handle: &self.handle.0 })?;
        if let Some(req) = then {
            replies.send(req)?;
        }
        self.finish()?;
        expect_ok(replies.next()?)?;
        then.map(|_| replies.next()).transpose()
    }
}

impl Drop for WriteBehind<'_> {
    fn drop(&mut self) {
        self.queue.forget(self.lane);
    }
}
