//! Remote port forwarding (paramiko's `Transport.request_port_forward`): the
//! server listens on a port and opens a "forwarded-tcpip" channel to us for
//! each connection it accepts there.
//!
//! libssh2 keeps a listener per forwarding; its calls run through
//! `Shared::run` like every other (never waiting under a lock). The
//! listener is cancelled with `cancel()`, or when dropped.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::locks::WaitLock;
use crate::session::{deadline, Shared};

#[pyclass(module = "ferrosftp._native", frozen)]
pub struct Listener {
    shared: Arc<Shared>,
    /// None once cancelled.
    listener: WaitLock<Option<ssh2::Listener>>,
    /// The port the server listens on (the one asked for, or the one it chose).
    #[pyo3(get)]
    port: u16,
}

impl Listener {
    /// Ask the server to listen on `address:port` (port 0: it chooses).
    pub fn listen(
        py: Python<'_>,
        shared: &Arc<Shared>,
        address: &str,
        port: u16,
        timeout: Option<f64>,
    ) -> PyResult<Listener> {
        let until = deadline(timeout);
        let (listener, bound) = crate::shutdown::detach(py, || -> Result<(ssh2::Listener, u16)> {
            // a global request and its reply: one at a time per connection
            let _setup = shared.setup_lock()?;
            shared.run(until, || {
                Ok(shared.sess.channel_forward_listen(port, Some(address), None)?)
            })
        })?; // a refusal becomes paramiko's message in Transport.request_port_forward
        Ok(Listener {
            shared: shared.clone(),
            listener: WaitLock::new(Some(listener)),
            port: if port == 0 { bound } else { port },
        })
    }
}

#[pymethods]
impl Listener {
    /// The next connection the server accepted on the port, as a channel;
    /// None after `timeout` seconds (None: wait for one) or once cancelled.
    #[pyo3(signature = (timeout=None))]
    fn accept(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Channel>> {
        let until = deadline(timeout);
        let shared = &self.shared;
        let chan = crate::shutdown::detach(py, || -> Result<Option<ssh2::Channel>> {
            let accepted = shared.run(until, || {
                let mut guard = self.listener.lock()?;
                match guard.as_mut() {
                    Some(listener) => Ok(Some(listener.accept()?)),
                    None => Ok(None),
                }
            });
            match accepted {
                Err(Error::Timeout) => Ok(None),
                other => other,
            }
        })?;
        Ok(chan.map(|c| Channel::wrap(shared, c)))
    }

    /// Stop the forwarding (idempotent).
    fn cancel(&self, py: Python<'_>) -> PyResult<()> {
        let shared = &self.shared;
        crate::shutdown::detach(py, || -> Result<()> {
            let mut guard = self.listener.lock()?;
            if let Some(listener) = guard.as_mut() {
                if shared.is_active() {
                    shared.run(deadline(Some(5.0)), || Ok(listener.cancel()?))?;
                }
            }
            *guard = None; // cancelled: dropping it does nothing more
            Ok(())
        })?;
        Ok(())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // May run with the GIL held: cancel now only if the connection is
        // free, else in a thread of ours. A listener not cancelled (a dead
        // connection) is left to ssh2's own Drop, which tries once more.
        let Some(mut listener) = self.listener.get_mut().take() else {
            return;
        };
        if !self.shared.is_active() {
            return;
        }
        if matches!(
            self.shared.try_run(deadline(Some(0.5)), || Ok(listener.cancel()?)),
            Some(Ok(()))
        ) {
            return;
        }
        let shared = self.shared.clone();
        let _ = crate::locks::spawn("ferrosftp-forward-cancel", move || {
            let _ = shared.run(deadline(Some(5.0)), || Ok(listener.cancel()?));
        });
    }
}
