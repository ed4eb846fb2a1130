//! The one error type of the Rust core, and its single mapping to Python exceptions.
//!
//! Python exception classes (paramiko's hierarchy) are defined in
//! `ferrosftp/ssh_exception.py`; this module imports them when an error crosses
//! the boundary, so `except paramiko.SSHException` keeps working for our users.

use pyo3::exceptions::{PyEOFError, PyFileNotFoundError, PyOSError, PyPermissionError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// libssh2's "would block" code: only ever seen inside the wait loop.
pub const EAGAIN: i32 = -37;

#[derive(thiserror::Error, Debug)]
pub enum Error {
    /// libssh2 would block: retried by `Shared::run`, never shown to users.
    #[error("operation would block")]
    Again,
    /// Our own deadline passed (socket.timeout, like paramiko).
    #[error("timed out")]
    Timeout,
    /// DNS failure (socket.gaierror).
    #[error("{0}")]
    Dns(String),
    /// Every resolved address refused or was unreachable.
    #[error("Unable to connect to port {port} on {host}")]
    NoValidConnections {
        host: String,
        port: u16,
        errors: Vec<(String, u16, std::io::Error)>,
    },
    /// Transport-level failure: handshake, protocol, dropped connection.
    #[error("{0}")]
    Ssh(String),
    /// The connection died under us (EOF, reset, MAC failure): both an
    /// SSHException and an EOFError in Python, so either `except` catches it.
    #[error("Server connection dropped: {0}")]
    Dropped(String),
    /// The peer reset or closed the TCP connection before the SSH session
    /// existed (ConnectionResetDuringConnect: an SSHException and a
    /// ConnectionResetError).
    #[error("Error reading SSH protocol banner: {0}")]
    ResetDuringConnect(String),
    /// Authentication refused.
    #[error("{0}")]
    Auth(String),
    /// The server does not allow this authentication method.
    #[error("Bad authentication type")]
    BadAuthType { allowed: Vec<String> },
    /// An encrypted private key without a passphrase.
    #[error("private key file is encrypted")]
    PasswordRequired,
    /// A channel could not be opened.
    #[error("{text}")]
    ChannelOpen { code: i32, text: String },
    /// An SFTP status code from the server (SSH_FX_*).
    #[error("{}", sftp_status_text(*.0))]
    Sftp(u32),
    /// A local I/O error (local files in transfers).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An OSError with a message and no errno (paramiko's IOError('...')).
    #[error("{0}")]
    OsMessage(String),
    /// A bad argument from Python (ValueError), e.g. a NaN timeout.
    #[error("{0}")]
    Value(String),
    /// A file was not as the caller expected (changed since it was
    /// listed, or while it was read): `ferrosftp.SyncConflict`.
    #[error("{0}")]
    Changed(String),
    /// A Python exception raised by a callback or a file-like object.
    #[error("python exception")]
    Python(#[from] PyErr),
}

pub type Result<T> = std::result::Result<T, Error>;

/// paramiko's texts for SFTP status codes (OpenSSH sends the same words).
pub fn sftp_status_text(code: u32) -> &'static str {
    match code {
        1 => "EOF",
        2 => "No such file",
        3 => "Permission denied",
        4 => "Failure",
        5 => "Bad message",
        6 => "No connection",
        7 => "Connection lost",
        8 => "Operation unsupported",
        _ => "Unknown error",
    }
}

/// Transport error codes after which the connection is unusable.
pub fn is_fatal_transport_code(code: i32) -> bool {
    // SOCKET_NONE, BANNER_RECV, BANNER_SEND, INVALID_MAC, DECRYPT, SOCKET_SEND,
    // SOCKET_DISCONNECT, PROTO, SOCKET_TIMEOUT, SOCKET_RECV, KEX failures
    matches!(
        code,
        -1 | -2 | -3 | -4 | -5 | -7 | -8 | -12 | -13 | -14 | -30 | -43 | -44
    )
}

impl From<ssh2::Error> for Error {
    fn from(e: ssh2::Error) -> Self {
        Error::from(&e)
    }
}

impl From<&ssh2::Error> for Error {
    fn from(e: &ssh2::Error) -> Self {
        match e.code() {
            ssh2::ErrorCode::Session(EAGAIN) => Error::Again,
            ssh2::ErrorCode::Session(-9) => Error::Timeout,
            ssh2::ErrorCode::SFTP(code) => Error::Sftp(code as u32),
            ssh2::ErrorCode::Session(_) => Error::Ssh(e.message().to_string()),
        }
    }
}

fn ssh_exception_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("ferrosftp.ssh_exception")?.getattr(name)
}

fn to_pyerr(py: Python<'_>, err: Error) -> PyResult<PyErr> {
    let exc = |name: &str, args: Bound<'_, pyo3::types::PyTuple>| -> PyResult<PyErr> {
        let cls = ssh_exception_class(py, name)?;
        Ok(PyErr::from_value(cls.call1(args)?))
    };
    Ok(match err {
        Error::Timeout => {
            let cls = py.import("socket")?.getattr("timeout")?;
            PyErr::from_value(cls.call0()?)
        }
        Error::Dns(msg) => {
            let cls = py.import("socket")?.getattr("gaierror")?;
            PyErr::from_value(cls.call1((-2, msg))?)
        }
        Error::NoValidConnections { errors, .. } => {
            let dict = PyDict::new(py);
            for (addr, port, io) in errors {
                dict.set_item((addr, port), PyErr::from(io).into_value(py))?;
            }
            exc("NoValidConnectionsError", (dict,).into_pyobject(py)?)?
        }
        Error::Ssh(msg) => exc("SSHException", (msg,).into_pyobject(py)?)?,
        Error::Dropped(msg) => exc(
            "ConnectionDropped",
            (format!("Server connection dropped: {msg}"),).into_pyobject(py)?,
        )?,
        Error::ResetDuringConnect(msg) => exc(
            "ConnectionResetDuringConnect",
            (libc::ECONNRESET, format!("Error reading SSH protocol banner: {msg}")).into_pyobject(py)?,
        )?,
        Error::Again => exc("SSHException", ("operation would block",).into_pyobject(py)?)?,
        Error::Auth(msg) => exc("AuthenticationException", (msg,).into_pyobject(py)?)?,
        Error::BadAuthType { allowed } => exc(
            "BadAuthenticationType",
            ("Bad authentication type", allowed).into_pyobject(py)?,
        )?,
        Error::PasswordRequired => exc(
            "PasswordRequiredException",
            ("private key file is encrypted",).into_pyobject(py)?,
        )?,
        Error::ChannelOpen { code, text } => exc("ChannelException", (code, text).into_pyobject(py)?)?,
        Error::Sftp(code) => {
            let text = sftp_status_text(code);
            match code {
                1 => PyEOFError::new_err(text),
                2 => PyFileNotFoundError::new_err((libc::ENOENT, text)),
                3 => PyPermissionError::new_err((libc::EACCES, text)),
                _ => PyOSError::new_err(text),
            }
        }
        // OSError(errno, strerror) picks the subclass (FileNotFoundError...) and
        // keeps .errno, as open()/write() would.
        Error::Io(io) => match io.raw_os_error() {
            Some(code) => {
                let text = std::io::Error::from_raw_os_error(code).to_string();
                let text = text.split(" (os error").next().unwrap_or(&text).to_string();
                PyOSError::new_err((code, text))
            }
            None => PyErr::from(io),
        },
        Error::OsMessage(msg) => PyOSError::new_err(msg),
        Error::Value(msg) => PyValueError::new_err(msg),
        Error::Changed(msg) => {
            let cls = py.import("ferrosftp.exceptions")?.getattr("SyncConflict")?;
            PyErr::from_value(cls.call1((pyo3::types::PyList::empty(py), msg))?)
        }
        Error::Python(e) => e,
    })
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        crate::locks::attach(|py| to_pyerr(py, err).unwrap_or_else(|e| e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sftp_status_texts_match_paramiko() {
        assert_eq!(sftp_status_text(2), "No such file");
        assert_eq!(sftp_status_text(3), "Permission denied");
        assert_eq!(sftp_status_text(4), "Failure");
        assert_eq!(sftp_status_text(8), "Operation unsupported");
        assert_eq!(Error::Sftp(5).to_string(), "Bad message");
    }

    #[test]
    fn would_block_is_recognised() {
        let e = ssh2::Error::new(ssh2::ErrorCode::Session(EAGAIN), "would block");
        assert!(matches!(Error::from(e), Error::Again));
    }
}
