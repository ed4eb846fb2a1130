//! ferrosftp's Rust core: the `ferrosftp._native` extension module.

mod channel;
mod error;
#[cfg(unix)]
mod event_pipe;
#[cfg(unix)]
mod fork;
mod forward;
mod keys;
mod locks;
mod progress;
mod session;
mod sftp;
mod shutdown;
mod socket;
mod watch;

use pyo3::prelude::*;

extern "C" {
    fn libssh2_version(required: std::os::raw::c_int) -> *const std::os::raw::c_char;
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    session::remember_main_thread(m.py())?;
    fork::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // SAFETY: libssh2_version(0) returns a pointer to a static NUL-terminated string.
    let version = unsafe { std::ffi::CStr::from_ptr(libssh2_version(0)) };
    m.add("LIBSSH2_VERSION", version.to_string_lossy().into_owned())?;
    m.add_class::<session::Session>()?;
    m.add_class::<channel::Channel>()?;
    m.add_class::<forward::Listener>()?;
    m.add_class::<sftp::Sftp>()?;
    m.add_class::<sftp::file::File>()?;
    m.add_function(wrap_pyfunction!(session::supported_algorithms, m)?)?;
    m.add_function(wrap_pyfunction!(shutdown::before_exit, m)?)?;
    m.add_function(wrap_pyfunction!(keys::parse_private_key, m)?)?;
    m.add_function(wrap_pyfunction!(keys::public_key_info, m)?)?;
    m.add_function(wrap_pyfunction!(keys::agent_identities, m)?)?;
    Ok(())
}
