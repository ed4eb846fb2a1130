//! The connection's watcher: keeps the `fileno()` pipes of its channels
//! current while no call is reading, as paramiko's transport thread does.
//!
//! One thread per connection, started by the first `fileno()` and gone when
//! the last watched channel or the connection is. It waits in the connection's
//! wait room like any caller (progress.rs), so it also pulls packets off the
//! socket when nobody else does, and wakes the callers they were meant for.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use crate::channel::ChannelInner;
use crate::session::Shared;

/// Watch `chan`'s pipe until it or the connection is dropped.
pub fn watch(shared: &Arc<Shared>, chan: Weak<ChannelInner>) {
    shared.watched.with(|list| {
        list.push(chan);
        if !shared.watcher_running.swap(true, Ordering::SeqCst) {
            let weak = Arc::downgrade(shared);
            if crate::locks::spawn("ferrosftp-watcher", move || run(weak)).is_err() {
                shared.watcher_running.store(false, Ordering::SeqCst);
            }
        }
    });
}

fn run(weak: Weak<Shared>) {
    loop {
        let Some(shared) = weak.upgrade() else { return };
        let chans: Option<Vec<Arc<ChannelInner>>> = shared.watched.with(|list| {
            list.retain(|w| w.strong_count() > 0);
            if list.is_empty() {
                // Under the list lock: a watch() now sees the flag down and starts another.
                shared.watcher_running.store(false, Ordering::SeqCst);
                return None;
            }
            Some(list.iter().filter_map(Weak::upgrade).collect())
        });
        let Some(chans) = chans else { return };
        let seen = shared.generation();
        let alive = shared.pump_once(|| {
            for chan in &chans {
                chan.refresh_event();
            }
        });
        if !alive {
            // A dead connection: every read returns at once now.
            for chan in &chans {
                chan.show_ready();
            }
            shared.watcher_running.store(false, Ordering::SeqCst);
            return;
        }
        drop(chans);
        shared.wait_for_progress(seen);
    }
}
