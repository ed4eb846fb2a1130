//! `SFTPFile.readv`: many ranges of one file read at once. Ranges that touch
//! or overlap are merged into one span (so many small neighbouring reads
//! cost one request), every span's requests go out together, and each
//! range's bytes are cut from its span at the end.

use std::collections::VecDeque;

use super::client::Handle;
use super::conn::unexpected;
use super::pipeline::Lane;
use super::proto::{Reply, Request, FX_EOF};
use crate::error::{Error, Result};

/// Bytes of requests in flight at once.
const WINDOW: u64 = 32 << 20;

/// Contiguous [start, end) spans covering the chunks, in file order, and for
/// each chunk the span it falls in.
fn spans(chunks: &[(u64, u64)]) -> (Vec<(u64, u64)>, Vec<usize>) {
    let mut order: Vec<usize> = (0..chunks.len()).collect();
    order.sort_by_key(|&i| chunks[i].0);
    let mut spans: Vec<(u64, u64)> = Vec::new();
    let mut of = vec![0; chunks.len()];
    for i in order {
        let (start, len) = chunks[i];
        let end = start.saturating_add(len);
        match spans.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => spans.push((start, end)),
        }
        of[i] = spans.len() - 1;
    }
    (spans, of)
}

pub fn readv(lane: Lane<'_>, h: &Handle, chunks: &[(u64, u64)]) -> Result<Vec<Vec<u8>>> {
    let (spans, of) = spans(chunks);
    let request = lane.client.max_read() as u64;
    // Each span's bytes, and where its data ended (EOF or the span's end).
    let mut data: Vec<Vec<u8>> = spans.iter().map(|_| Vec::new()).collect();
    let mut ends: Vec<u64> = spans.iter().map(|s| s.1).collect();
    // Where each span's next request starts; requests are made as the window
    // allows, so a span of 2^62 bytes costs what the file really holds.
    let mut next: Vec<u64> = spans.iter().map(|s| s.0).collect();
    let mut span = 0;
    // Rests of short reads, asked for first; then (id, span, offset, len) asked.
    let mut retry: VecDeque<(usize, u64, u64)> = VecDeque::new();
    let mut asked: VecDeque<(u32, usize, u64, u64)> = VecDeque::new();
    let mut in_flight = 0u64;
    let result = (|| -> Result<()> {
        loop {
            while in_flight < WINDOW {
                let (i, offset, len) = match retry.pop_front() {
                    Some(r) => r,
                    None => {
                        while span < spans.len() && next[span] >= ends[span] {
                            span += 1;
                        }
                        if span == spans.len() {
                            break;
                        }
                        let len = (ends[span] - next[span]).min(request);
                        let at = next[span];
                        next[span] += len;
                        (span, at, len)
                    }
                };
                if offset >= ends[i] {
                    continue; // past this span's EOF
                }
                let id = lane.send(&Request::Read {
                    handle: &h.0,
                    offset,
                    len: len as u32,
                })?;
                asked.push_back((id, i, offset, len));
                in_flight += len;
            }
            let Some((id, i, offset, len)) = asked.pop_front() else {
                return Ok(());
            };
            in_flight -= len;
            match lane.wait(id)? {
                Reply::Data(d) if !d.is_empty() && d.len() as u64 <= len => {
                    let at = (offset - spans[i].0) as usize;
                    let buf = &mut data[i];
                    if buf.len() < at + d.len() {
                        buf.resize(at + d.len(), 0);
                    }
                    buf[at..at + d.len()].copy_from_slice(&d);
                    if (d.len() as u64) < len {
                        // a short read: ask for the rest next
                        retry.push_back((i, offset + d.len() as u64, len - d.len() as u64));
                    }
                }
                Reply::Data(d) if d.is_empty() => ends[i] = ends[i].min(offset),
                Reply::Status { code: FX_EOF, .. } => ends[i] = ends[i].min(offset),
                Reply::Data(d) => {
                    return Err(Error::Ssh(format!(
                        "the server sent {} bytes for a read of {len}",
                        d.len()
                    )))
                }
                Reply::Status { code, .. } => return Err(Error::Sftp(code)),
                other => return Err(unexpected(&other)),
            }
        }
    })();
    if result.is_err() {
        for (id, ..) in asked {
            lane.conn.forget(id);
        }
    }
    result?;
    Ok(chunks
        .iter()
        .zip(of)
        .map(|(&(start, len), i)| {
            let base = spans[i].0;
            let stop = start.saturating_add(len).min(ends[i]);
            let buf = &data[i];
            let (a, b) = ((start - base) as usize, (stop.max(start) - base) as usize);
            buf.get(a..b.min(buf.len())).map(<[u8]>::to_vec).unwrap_or_default()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_and_overlapping_ranges_merge() {
        let (s, of) = spans(&[(100, 10), (0, 10), (10, 5), (12, 20), (50, 0), (110, 1)]);
        assert_eq!(s, vec![(0, 32), (50, 50), (100, 111)]);
        assert_eq!(of, vec![2, 0, 0, 0, 1, 2]);
    }
}
