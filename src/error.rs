//! The one error type of the Rust core, and its single mapping to Python exceptions.
//!
//! Python exception classes (paramiko's hierarchy) are defined once, in
//! `ferrosftp/ssh_exception.py`; this module imports them (pyo3's
//! `import_exception!`, as cryptography does) so `except paramiko.SSHException`
//! keeps working for our users.

use pyo3::exceptions::{PyEOFError, PyFileNotFoundError, PyOSError, PyPermissionError, PyValueError};
use pyo3::prelude::*;

/// libssh2's error codes the mapping looks at (LIBSSH2_ERROR_* in libssh2.h).
pub mod code {
    /// "Would block": only ever seen inside the wait loop.
    pub const EAGAIN: i32 = -37;
    pub const TIMEOUT: i32 = -9;
    pub const AUTHENTICATION_FAILED: i32 = -18;
    pub const PUBLICKEY_UNVERIFIED: i32 = -19;
    pub const CHANNEL_FAILURE: i32 = -21;
    /// The socket failed: before the first packet this means the peer
    /// reset or closed (SOCKET_NONE, BANNER_RECV, BANNER_SEND, SOCKET_SEND,
    /// SOCKET_DISCONNECT, SOCKET_RECV).
    pub const SOCKET: [i32; 6] = [-1, -2, -3, -7, -13, -43];
    /// After these the connection is unusable: the socket codes plus
    /// INVALID_MAC, KEX_FAILURE, KEY_EXCHANGE_FAILURE, DECRYPT, PROTO,
    /// SOCKET_TIMEOUT, ENCRYPT.
    pub const FATAL: [i32; 13] = [-1, -2, -3, -4, -5, -7, -8, -12, -13, -14, -30, -43, -44];
}

#[derive(thiserror::Error, Debug)]
pub enum Error {
    /// libssh2 would block: retried by `Shared::run`, never shown to users.
    #[error("operation would block")]
    Again,
    /// Our own deadline passed (socket.timeout, like paramiko).
    #[error("timed out")]
    Timeout,
    /// Transport-level failure found by our own code: handshake, protocol.
    #[error("{0}")]
    Ssh(String),
    /// A failure libssh2 reported, with its code (LIBSSH2_ERROR_*): callers
    /// map by the code, never by the text.
    #[error("{msg}")]
    Libssh2 { code: i32, msg: String },
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

impl Error {
    /// libssh2's code, for an error libssh2 reported.
    pub fn libssh2_code(&self) -> Option<i32> {
        match self {
            Error::Libssh2 { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// A channel open the server refused (`LIBSSH2_ERROR_CHANNEL_FAILURE`), as
/// paramiko reports it: `ChannelException(reason, text)`. libssh2 keeps the
/// server's reason code only in its fixed message, so it is read from there.
pub fn channel_open_refused(msg: &str) -> Error {
    const REASONS: [(i32, &str, &str); 4] = [
        (1, "(administratively prohibited)", "Administratively prohibited"),
        (2, "(connect failed)", "Connect failed"),
        (3, "(unknown channel type)", "Unknown channel type"),
        (4, "(resource shortage)", "Resource shortage"),
    ];
    match REASONS.iter().find(|(_, libssh2, _)| msg.ends_with(libssh2)) {
        Some(&(code, _, text)) => Error::ChannelOpen {
            code,
            text: text.into(),
        },
        None => Error::ChannelOpen {
            code: 0,
            text: msg.into(),
        },
    }
}

/// paramiko's texts for SFTP status codes (OpenSSH sends the same words).
pub fn sftp_status_text(code: u32) -> &'static str {
    match code {
        1 => "End of file",
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

impl From<ssh2::Error> for Error {
    fn from(e: ssh2::Error) -> Self {
        Error::from(&e)
    }
}

impl From<&ssh2::Error> for Error {
    fn from(e: &ssh2::Error) -> Self {
        match e.code() {
            ssh2::ErrorCode::Session(code::EAGAIN) => Error::Again,
            ssh2::ErrorCode::Session(code::TIMEOUT) => Error::Timeout,
            ssh2::ErrorCode::SFTP(code) => Error::Sftp(code as u32),
            ssh2::ErrorCode::Session(code) => Error::Libssh2 {
                code,
                msg: e.message().to_string(),
            },
        }
    }
}

// The Python classes (paramiko's hierarchy), defined once in Python and
// imported the first time one is raised.
mod py_exceptions {
    pyo3::import_exception!(socket, timeout);
    pyo3::import_exception!(ferrosftp.ssh_exception, SSHException);
    pyo3::import_exception!(ferrosftp.ssh_exception, ConnectionDropped);
    pyo3::import_exception!(ferrosftp.ssh_exception, ConnectionResetDuringConnect);
    pyo3::import_exception!(ferrosftp.ssh_exception, AuthenticationException);
    pyo3::import_exception!(ferrosftp.ssh_exception, BadAuthenticationType);
    pyo3::import_exception!(ferrosftp.ssh_exception, PasswordRequiredException);
    pyo3::import_exception!(ferrosftp.ssh_exception, ChannelException);
    pyo3::import_exception!(ferrosftp.exceptions, SyncConflict);
}

/// The one mapping to Python exceptions. Built lazily: no Python runs (and
/// no GIL is needed) until the exception is raised.
impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        use py_exceptions::{
            timeout, AuthenticationException, BadAuthenticationType, ChannelException, ConnectionDropped,
            ConnectionResetDuringConnect, PasswordRequiredException, SSHException, SyncConflict,
        };
        match err {
            Error::Timeout => timeout::new_err(()),
            Error::Ssh(msg) | Error::Libssh2 { msg, .. } => SSHException::new_err(msg),
            Error::Again => SSHException::new_err("operation would block"),
            Error::Dropped(msg) => ConnectionDropped::new_err(format!("Server connection dropped: {msg}")),
            Error::ResetDuringConnect(msg) => ConnectionResetDuringConnect::new_err((
                libc::ECONNRESET,
                format!("Error reading SSH protocol banner: {msg}"),
            )),
            Error::Auth(msg) => AuthenticationException::new_err(msg),
            Error::BadAuthType { allowed } => BadAuthenticationType::new_err(("Bad authentication type", allowed)),
            Error::PasswordRequired => PasswordRequiredException::new_err("private key file is encrypted"),
            Error::ChannelOpen { code, text } => ChannelException::new_err((code, text)),
            Error::Sftp(code) => {
                let text = sftp_status_text(code);
                match code {
                    1 => PyEOFError::new_err(text),
                    2 => PyFileNotFoundError::new_err((libc::ENOENT, text)),
                    3 => PyPermissionError::new_err((libc::EACCES, text)),
                    _ => PyOSError::new_err(text),
                }
            }
            // OSError(errno, strerror) picks the subclass (FileNotFoundError...)
            // and keeps .errno, as open()/write() would.
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
            Error::Changed(msg) => SyncConflict::new_err((Vec::<String>::new(), msg)),
            Error::Python(e) => e,
        }
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
    fn libssh2_codes_are_kept() {
        let e = ssh2::Error::new(
            ssh2::ErrorCode::Session(code::AUTHENTICATION_FAILED),
            "Authentication failed",
        );
        assert_eq!(Error::from(e).libssh2_code(), Some(code::AUTHENTICATION_FAILED));
        let e = ssh2::Error::new(ssh2::ErrorCode::Session(code::TIMEOUT), "timed out");
        assert!(matches!(Error::from(e), Error::Timeout));
    }

    #[test]
    fn channel_open_reasons_match_paramiko() {
        let e = channel_open_refused("Channel open failure (connect failed)");
        assert!(matches!(e, Error::ChannelOpen { code: 2, ref text } if text == "Connect failed"));
        let e = channel_open_refused("Channel open failure (administratively prohibited)");
        assert!(matches!(e, Error::ChannelOpen { code: 1, .. }));
        let e = channel_open_refused("Channel open failure");
        assert!(matches!(e, Error::ChannelOpen { code: 0, ref text } if text == "Channel open failure"));
    }

    #[test]
    fn would_block_is_recognised() {
        let e = ssh2::Error::new(ssh2::ErrorCode::Session(code::EAGAIN), "would block");
        assert!(matches!(Error::from(e), Error::Again));
    }
}
