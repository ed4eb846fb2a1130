"""pysftp's ``Connection`` and ``CnOpts`` (pysftp 0.2.9, runs 0.2.8 scripts too).

Built on ferrosftp's own :class:`~ferrosftp.transport.Transport` and
:class:`~ferrosftp.sftp_client.SFTPClient`: the byte-moving loops are Rust with
the GIL released; this module only keeps pysftp's Python semantics (argument
handling, exceptions, the lazy SFTP session, subclassing, ``__del__``).

Deliberate differences from pysftp (each one safer or more capable):

* ``get`` downloads to a temp file and renames it into place only when the
  transfer is complete, so a failed ``get`` never leaves an empty or
  truncated local file (pysftp does).
* ``private_key`` may be any key type (RSA, ECDSA, Ed25519) as a path or a
  key object; pysftp only loaded RSA/DSA.  Without a password or key, the
  default key is the first of ``~/.ssh/id_rsa``, ``id_dsa``, ``id_ecdsa``,
  ``id_ed25519`` that exists.
* Host keys: for a port other than 22, a ``[host]:port`` known_hosts entry
  (OpenSSH's own format) is tried before pysftp's bare-host lookup; ``~`` is
  expanded in ``CnOpts(knownhosts=...)`` and ``cnopts.hostkeys.load(...)``
  as pysftp's docs promise.  ``cnopts.hostkeys = None`` still disables
  checking, with a ``UserWarning``.
* ``get_r``/``put_r``/``get_d``/``put_d`` keep many files in flight on one
  SFTP channel, over up to ``workers`` channels of the connection
  (keyword-only, default :data:`DEFAULT_WORKERS`), never ``os.chdir`` the
  process, tolerate local directories that already exist (``get_r`` re-runs),
  and on failure raise the first error once the files under way are done.
* ``put``/``put_d``/``put_r`` take ``atomic=True`` (keyword-only) to upload
  to a temp name and rename it into place.
* After ``close()``, calls that need the session raise ``SSHException``
  (pysftp raised ``AttributeError`` from ``None``).
"""

from __future__ import annotations

import logging
import os
import posixpath
import socket
import tempfile
import warnings
from contextlib import contextmanager
from stat import S_ISDIR, S_ISREG

from . import _tree, batch, util
from .exceptions import ConnectionException, CredentialException, HostKeysException
from .helpers import WTCallbacks, known_hosts, path_advance, reparent
from .hostkeys import HostKeys, InvalidHostKey
from .pkey import PKey, UnknownKeyType
from .sftp_client import SFTPClient
from .ssh_exception import SSHException
from .transport import Transport

__all__ = ["CnOpts", "Connection", "DEFAULT_WORKERS"]

log = logging.getLogger("ferrosftp.connection")

#: SFTP channels used by get_r/put_r/get_d/put_d (the connection's own plus
#: up to ``DEFAULT_WORKERS - 1`` more on the same connection, one per
#: ``batch.FILES_PER_CHANNEL`` files).
DEFAULT_WORKERS = 4


def _workers(workers) -> int:
    workers = DEFAULT_WORKERS if workers is None else int(workers)
    if workers < 1:
        raise ValueError("workers must be at least 1")
    return workers


# Default keys, in pysftp's order first, then the types pysftp could not load.
_DEFAULT_KEYS = ("~/.ssh/id_rsa", "~/.ssh/id_dsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519")


class _KnownHosts(HostKeys):
    """HostKeys whose ``load`` expands ``~`` (as pysftp's docs promise)."""

    def load(self, filename):
        super().load(os.path.expanduser(os.fspath(filename)))


class _InvalidKnownHosts(HostKeysException, InvalidHostKey):
    """A known_hosts line with a non-base64 key: caught by ``except
    HostKeysException`` (pysftp's intent) and ``except InvalidHostKey``
    (what pysftp on modern paramiko lets through)."""

    def __init__(self, line, exc):
        InvalidHostKey.__init__(self, line, exc)


class CnOpts:
    """Connection options beyond authentication (pysftp.CnOpts).

    :ivar log: ``True`` logs to a temp file, a string to that path
    :vartype log: bool | str
    :ivar compression: ask for zlib compression
    :vartype compression: bool
    :ivar ciphers: ciphers to use, in order of preference
    :vartype ciphers: list | None
    :ivar hostkeys: keys to check the server against; ``None``
        disables host-key checking
    :vartype hostkeys: HostKeys | None
    :param knownhosts: file to load host keys from (default ``~/.ssh/known_hosts``)
    :raises HostKeysException: the file was read but holds no host keys
    """

    def __init__(self, knownhosts=None):
        self.log = False
        self.compression = False
        self.ciphers = None
        if knownhosts is None:
            knownhosts = known_hosts()
        self.hostkeys = _KnownHosts()
        try:
            self.hostkeys.load(knownhosts)
        except InvalidHostKey as e:
            raise _InvalidKnownHosts(e.line, e.exc) from e
        except IOError:
            wmsg = "Failed to load HostKeys from %s.  " % knownhosts
            wmsg += "You will need to explicitly load HostKeys "
            wmsg += "(cnopts.hostkeys.load(filename)) or disable"
            wmsg += "HostKey checking (cnopts.hostkeys = None)."
            warnings.warn(wmsg, UserWarning)
        else:
            if len(self.hostkeys.items()) == 0:
                raise HostKeysException("No Host Keys Found")

    def get_hostkey(self, host):
        """The first known key for ``host`` (bare name lookup, like pysftp).

        :raises SSHException: no key is known for ``host``
        """
        kval = self.hostkeys.lookup(host)
        if kval is None:
            raise SSHException("No hostkey for host %s found." % host)
        return list(kval.values())[0]


class Connection:
    """Connects and logs into the specified host (pysftp.Connection).

    :param str host: host name or IP of the server
    :param str|None username: default ``$LOGNAME``
    :param str|PKey|None private_key: path to a private key file or a key
        object (any type, or an ``AgentKey``)
    :param str|None password: password; wins over ``private_key``
    :param int port: default 22
    :param str|None private_key_pass: passphrase of an encrypted key file
    :param ciphers: *deprecated*, use ``cnopts.ciphers``
    :param log: *deprecated*, use ``cnopts.log``
    :param CnOpts|None cnopts: connection options (default ``CnOpts()``)
    :param str|None default_path: remote directory to ``chdir`` to when the
        SFTP session opens
    :raises ConnectionException: the host name cannot be resolved
    :raises CredentialException: no username, or no password and no key
    :raises SSHException: unknown or bad host key, connection refused
    :raises AuthenticationException: the server rejected the credentials
    :raises PasswordRequiredException: encrypted key and no passphrase
    :raises HostKeysException: the default known_hosts holds no keys
    """

    def __init__(
        self,
        host,
        username=None,
        private_key=None,
        password=None,
        port=22,
        private_key_pass=None,
        ciphers=None,
        log=False,
        cnopts=None,
        default_path=None,
    ):
        # Everything close()/__del__ touch exists before anything can fail.
        self._sftp_live = False
        self._sftp = None
        self._transport = None
        self._cnopts = None
        self._tconnect = {"username": username, "password": password, "hostkey": None, "pkey": None}
        self._host = host
        self._port = port
        self._cnopts = cnopts or CnOpts()
        self._default_path = default_path
        self._apply_deprecated(log, ciphers)
        if self._cnopts.hostkeys is not None:
            self._tconnect["hostkey"] = self._expected_hostkey(host, port)
        else:
            warnings.warn(
                "Host key checking is disabled (cnopts.hostkeys = None): the server at %s is not verified." % host,
                UserWarning,
            )
        self._set_username()
        self._set_logging()
        try:
            self._transport = self._start_transport(host, port)
            self._set_authentication(password, private_key, private_key_pass)
            self._transport.connect(**self._tconnect)
        except BaseException:
            self._close_transport()
            raise

    # -- constructor steps, in pysftp's order ---------------------------------

    def _apply_deprecated(self, log, ciphers):
        if log:
            warnings.warn(
                "log parameter is deprecated and will be remove in 0.3.0. Use cnopts param.", DeprecationWarning
            )
            self._cnopts.log = log
        if ciphers is not None:
            warnings.warn(
                "ciphers parameter is deprecated and will be remove in 0.3.0. Use cnopts param.", DeprecationWarning
            )
            self._cnopts.ciphers = ciphers

    def _expected_hostkey(self, host, port):
        # OpenSSH files non-22 ports as [host]:port; pysftp only knew bare names.
        if port != 22:
            keys = self._cnopts.hostkeys.lookup("[%s]:%d" % (host, port))
            if keys:
                return list(keys.values())[0]
        return self._cnopts.get_hostkey(host)

    def _set_username(self):
        if self._tconnect["username"] is None:
            self._tconnect["username"] = os.environ.get("LOGNAME", None)
            if self._tconnect["username"] is None:
                raise CredentialException("No username specified.")

    def _set_logging(self):
        if self._cnopts.log:
            if isinstance(self._cnopts.log, bool):
                fhnd, self._cnopts.log = tempfile.mkstemp(".txt", "ssh-")
                os.close(fhnd)
            util.log_to_file(self._cnopts.log)

    def _start_transport(self, host, port):
        """TCP-connected transport with ciphers and compression set."""
        try:
            transport = Transport((host, port))
        except (AttributeError, socket.gaierror):
            raise ConnectionException(host, port) from None
        try:
            if self._cnopts.ciphers is not None:
                transport.get_security_options().ciphers = self._cnopts.ciphers
            transport.use_compression(self._cnopts.compression)
        except BaseException:
            transport.close()
            raise
        return transport

    def _set_authentication(self, password, private_key, private_key_pass):
        """Password wins; else a key object as is, or a key file of any type."""
        if password is not None:
            return
        if not private_key:
            private_key = _default_key_path()
            if private_key is None:
                raise CredentialException("No password or key specified.")
        if isinstance(private_key, PKey):
            self._tconnect["pkey"] = private_key
            return
        path = os.path.expanduser(os.fsdecode(private_key))
        try:
            self._tconnect["pkey"] = PKey.from_path(path, private_key_pass)
        except UnknownKeyType as e:
            raise SSHException("Unsupported private key in %s: %s" % (path, e)) from e

    # -- the SFTP session -----------------------------------------------------

    def _live_transport(self):
        if self._transport is None:
            raise SSHException("Connection is closed")
        return self._transport

    def _sftp_connect(self):
        """Open the SFTP session on first use (and chdir to default_path)."""
        if not self._sftp_live:
            self._sftp = SFTPClient.from_transport(self._live_transport())
            if self._default_path is not None:
                self._sftp.chdir(self._default_path)
            self._sftp_live = True

    @property
    def pwd(self):
        """The current remote directory, absolute (``normalize('.')``)."""
        self._sftp_connect()
        return self._sftp.normalize(".")

    # -- single-file transfers ------------------------------------------------

    def get(self, remotepath, localpath=None, callback=None, preserve_mtime=False):
        """Download ``remotepath`` to ``localpath`` (default: its basename in
        the local cwd).  The file appears only once complete.

        :returns: None
        :raises IOError: remote file missing (no local file is created)
        """
        if not localpath:
            localpath = os.path.split(remotepath)[1]
        self._sftp_connect()
        _get_file(self._sftp, remotepath, localpath, callback, preserve_mtime)

    def getfo(self, remotepath, flo, callback=None):
        """Copy a remote file into the file-like object ``flo``.

        :returns: (int) bytes written
        """
        self._sftp_connect()
        return self._sftp.getfo(remotepath, flo, callback=callback)

    def put(self, localpath, remotepath=None, callback=None, confirm=True, preserve_mtime=False, *, atomic=False):
        """Upload ``localpath`` to ``remotepath`` (default: its basename in the
        remote cwd).

        :param bool atomic: (ferrosftp) upload to a temp name, then rename
        :returns: SFTPAttributes of the remote file (empty if not ``confirm``)
        :raises OSError: localpath missing (before any remote action)
        :raises IOError: remote directory missing
        """
        if not remotepath:
            remotepath = os.path.split(localpath)[1]
        self._sftp_connect()
        return _put_file(self._sftp, localpath, remotepath, callback, confirm, preserve_mtime, atomic)

    def putfo(self, flo, remotepath=None, file_size=0, callback=None, confirm=True):
        """Upload the contents of the file-like object ``flo``.

        :returns: SFTPAttributes of the remote file
        :raises TypeError: remotepath not given
        """
        self._sftp_connect()
        return self._sftp.putfo(flo, remotepath, file_size=file_size, callback=callback, confirm=confirm)

    # -- directory transfers --------------------------------------------------

    def get_d(self, remotedir, localdir, preserve_mtime=False, *, workers=None):
        """Download the regular files directly in ``remotedir`` into the
        existing ``localdir`` (not recursive; symlinks are skipped)."""
        self._sftp_connect()
        with self.cd(remotedir):
            pairs = [
                (attr.filename, reparent(localdir, attr.filename))
                for attr in self._sftp.listdir_attr(".")
                if S_ISREG(attr.st_mode)
            ]
            self._get_batch(pairs, preserve_mtime, workers)

    def get_r(self, remotedir, localdir, preserve_mtime=False, *, workers=None):
        """Recursively download ``remotedir`` under the existing ``localdir``:
        the remote path is re-created there (``get_r('a/b', L)`` fills
        ``L/a/b``).  Empty directories are created too."""
        self._sftp_connect()
        wtcb = WTCallbacks()
        self.walktree(remotedir, wtcb.file_cb, wtcb.dir_cb, wtcb.unk_cb)
        files = wtcb.flist
        _make_local_dirs(localdir, wtcb.dlist + [os.path.split(fname)[0] for fname in files])
        self._get_batch([(fname, reparent(localdir, fname)) for fname in files], preserve_mtime, workers)

    def put_d(self, localpath, remotepath, confirm=True, preserve_mtime=False, *, workers=None, atomic=False):
        """Upload the regular files directly in ``localpath`` into the existing
        ``remotepath`` (not recursive).  Remote names are ``remotepath/./name``
        as in pysftp; the process cwd is never changed."""
        self._sftp_connect()
        files, _ = _local_tree(localpath, recurse=False)
        pairs = [(os.path.join(localpath, fname), reparent(remotepath, fname)) for fname in files]
        self._put_batch(pairs, confirm, preserve_mtime, atomic, workers)

    def put_r(self, localpath, remotepath, confirm=True, preserve_mtime=False, *, workers=None, atomic=False):
        """Recursively upload ``localpath``'s contents into the existing
        ``remotepath``; missing sub-directories are created, existing ones are
        fine (re-running works)."""
        self._sftp_connect()
        files, dirs = _local_tree(localpath, recurse=True)
        # remotepath must exist (pysftp): only the levels below it are made
        _raise_first(
            _tree.make_remote_dirs(
                self._sftp, [reparent(remotepath, d) for d in dirs], known={posixpath.normpath(remotepath)}
            )
        )
        pairs = [(os.path.join(localpath, fname), reparent(remotepath, fname)) for fname in files]
        self._put_batch(pairs, confirm, preserve_mtime, atomic, workers)

    def _put_batch(self, pairs, confirm, preserve_mtime, atomic, workers):
        results = batch.spread(
            self._sftp,
            pairs,
            _workers(workers),
            lambda sftp, share, report: sftp._put_each(
                share, confirm=confirm, atomic=atomic, times=preserve_mtime, stop_at_first=True
            ),
        )
        batch.first_error(results)

    def _get_batch(self, pairs, preserve_mtime, workers):
        results = batch.spread(
            self._sftp, pairs, _workers(workers), lambda sftp, share, report: sftp._get_each(share, stop_at_first=True)
        )
        batch.first_error(results)
        if preserve_mtime:
            for (_, local), a in zip(pairs, results):
                os.utime(local, (a.st_atime, a.st_mtime))

    # -- commands -------------------------------------------------------------

    def execute(self, command):
        """Run ``command`` on the server (ignores the remote cwd).

        :returns: list of bytes lines of stdout, or of stderr if stdout is empty
        """
        channel = self._live_transport().open_session()
        try:
            channel.exec_command(command)
            output = channel.makefile("rb", -1).readlines()
            if output:
                return output
            return channel.makefile_stderr("rb", -1).readlines()
        finally:
            channel.close()

    # -- directories and paths ------------------------------------------------

    @contextmanager
    def cd(self, remotepath=None):
        """Context manager: chdir to ``remotepath`` (if given) and back to the
        previous (absolute) pwd on exit."""
        original_path = self.pwd
        try:
            if remotepath is not None:
                self.cwd(remotepath)
            yield
        finally:
            self.cwd(original_path)

    def chdir(self, remotepath):
        """Change the (emulated) remote working directory."""
        self._sftp_connect()
        self._sftp.chdir(remotepath)

    cwd = chdir

    def getcwd(self):
        """The remote working directory, or None before any chdir."""
        self._sftp_connect()
        return self._sftp.getcwd()

    def chmod(self, remotepath, mode=777):
        """Set the mode; ``mode`` is written like the shell's: ``644``."""
        self._sftp_connect()
        self._sftp.chmod(remotepath, mode=int(str(mode), 8))

    def chown(self, remotepath, uid=None, gid=None):
        """Set uid and/or gid; a missing one is kept from a stat."""
        self._sftp_connect()
        if uid is None or gid is None:
            if uid is None and gid is None:
                return
            rstat = self._sftp.stat(remotepath)
            if uid is None:
                uid = rstat.st_uid
            if gid is None:
                gid = rstat.st_gid
        self._sftp.chown(remotepath, uid=uid, gid=gid)

    def listdir(self, remotepath="."):
        """Entry names of ``remotepath``, sorted."""
        self._sftp_connect()
        return sorted(self._sftp.listdir(remotepath))

    def listdir_attr(self, remotepath="."):
        """SFTPAttributes of ``remotepath``'s entries, sorted by filename."""
        self._sftp_connect()
        return sorted(self._sftp.listdir_attr(remotepath), key=lambda attr: attr.filename)

    def mkdir(self, remotepath, mode=777):
        """Create a directory; ``mode`` is written like the shell's."""
        self._sftp_connect()
        self._sftp.mkdir(remotepath, mode=int(str(mode), 8))

    def makedirs(self, remotedir, mode=777):
        """``mkdir -p``: create every missing level with ``mode``.

        :raises OSError: a regular file is in the way
        """
        self._sftp_connect()
        if self.isdir(remotedir):
            return
        if self.isfile(remotedir):
            raise OSError("a file with the same name as the remotedir, '%s', already exists." % remotedir)
        _raise_first(_tree.make_remote_dirs(self._sftp, [remotedir], mode=int(str(mode), 8)))

    def normalize(self, remotepath):
        """The server's absolute form of ``remotepath``."""
        self._sftp_connect()
        return self._sftp.normalize(remotepath)

    def isdir(self, remotepath):
        """True if ``remotepath`` is a directory (links followed); never raises
        for a missing path."""
        self._sftp_connect()
        try:
            return S_ISDIR(self._sftp.stat(remotepath).st_mode)
        except IOError:
            return False

    def isfile(self, remotepath):
        """True if ``remotepath`` is a regular file (links followed)."""
        self._sftp_connect()
        try:
            return S_ISREG(self._sftp.stat(remotepath).st_mode)
        except IOError:
            return False

    def exists(self, remotepath):
        """True if ``remotepath`` exists (False for a dangling symlink)."""
        self._sftp_connect()
        try:
            self._sftp.stat(remotepath)
        except IOError:
            return False
        return True

    def lexists(self, remotepath):
        """True if ``remotepath`` exists, dangling symlinks included."""
        self._sftp_connect()
        try:
            self._sftp.lstat(remotepath)
        except IOError:
            return False
        return True

    def readlink(self, remotelink):
        """The target of a symlink, as an absolute path (normalized against
        the current directory, like pysftp)."""
        self._sftp_connect()
        return self._sftp.normalize(self._sftp.readlink(remotelink))

    def remove(self, remotefile):
        """Delete a remote file."""
        self._sftp_connect()
        self._sftp.remove(remotefile)

    unlink = remove

    def rmdir(self, remotepath):
        """Remove an empty remote directory."""
        self._sftp_connect()
        self._sftp.rmdir(remotepath)

    def rename(self, remote_src, remote_dest):
        """Rename (never overwrites on OpenSSH)."""
        self._sftp_connect()
        self._sftp.rename(remote_src, remote_dest)

    def stat(self, remotepath):
        """SFTPAttributes of ``remotepath`` (links followed)."""
        self._sftp_connect()
        return self._sftp.stat(remotepath)

    def lstat(self, remotepath):
        """SFTPAttributes of ``remotepath`` itself (links not followed)."""
        self._sftp_connect()
        return self._sftp.lstat(remotepath)

    def symlink(self, remote_src, remote_dest):
        """Create ``remote_dest`` pointing at ``remote_src`` (stored verbatim)."""
        self._sftp_connect()
        self._sftp.symlink(remote_src, remote_dest)

    def truncate(self, remotepath, size):
        """Set the file's size; returns the new size from a fresh stat."""
        self._sftp_connect()
        self._sftp.truncate(remotepath, size)
        return self._sftp.stat(remotepath).st_size

    def open(self, remote_file, mode="r", bufsize=-1):
        """Open a remote file: an SFTPFile."""
        self._sftp_connect()
        return self._sftp.open(remote_file, mode=mode, bufsize=bufsize)

    def walktree(self, remotepath, fcallback, dcallback, ucallback, recurse=True):
        """Depth-first (pre-order) walk of the remote tree at ``remotepath``,
        entries sorted, calling ``dcallback``/``fcallback``/``ucallback`` with
        each ``posixpath``-joined path.  Symlinks are followed."""
        self._sftp_connect()
        callbacks = {_tree.DIR: dcallback, _tree.FILE: fcallback}
        for rel, kind, _ in _tree.walk_remote(self, remotepath, recurse=recurse):
            callbacks.get(kind, ucallback)(posixpath.join(remotepath, rel))

    # -- properties -----------------------------------------------------------

    @property
    def sftp_client(self):
        """The underlying SFTPClient (paramiko's API)."""
        self._sftp_connect()
        return self._sftp

    @property
    def active_ciphers(self):
        """(local_cipher, remote_cipher) in use."""
        transport = self._live_transport()
        return transport.local_cipher, transport.remote_cipher

    @property
    def active_compression(self):
        """(local_compression, remote_compression) in use."""
        transport = self._live_transport()
        return transport.local_compression, transport.remote_compression

    @property
    def security_options(self):
        """The transport's SecurityOptions (ciphers, digests, kex, ...)."""
        return self._live_transport().get_security_options()

    @property
    def logfile(self):
        """The log file's name, or False when not logging."""
        return self._cnopts.log

    @property
    def timeout(self):
        """Seconds a pending SFTP read/write may wait (None: no limit)."""
        self._sftp_connect()
        return self._sftp.get_channel().gettimeout()

    @timeout.setter
    def timeout(self, val):
        self._sftp_connect()
        self._sftp.get_channel().settimeout(val)

    @property
    def remote_server_key(self):
        """The server's host key (a PKey)."""
        return self._live_transport().get_remote_server_key()

    # -- closing --------------------------------------------------------------

    def _close_transport(self):
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    def close(self):
        """Close the SFTP session and the transport.  Idempotent."""
        if self._sftp_live:
            self._sftp_live = False
            self._sftp.close()
        self._close_transport()
        if self._cnopts is not None and self._cnopts.log:
            _remove_log_handlers()

    def __del__(self):
        # Also runs after a failed constructor: close() copes with that.
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never noise from a finalizer
            pass

    def __enter__(self):
        return self

    def __exit__(self, etype, value, traceback):
        self.close()


# --- helpers ------------------------------------------------------------------


def _default_key_path():
    for candidate in _DEFAULT_KEYS:
        if os.path.exists(os.path.expanduser(candidate)):
            return candidate
    return None


def _remove_log_handlers():
    """Close the handlers util.log_to_file added (pysftp cleared them at close)."""
    for name in ("paramiko", "ferrosftp"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if getattr(handler, "_ferrosftp_log_to_file", False):
                logger.removeHandler(handler)
                handler.close()


def _get_file(sftp, remotepath, localpath, callback, preserve_mtime):
    """pysftp's get on one SFTP session: stat first if keeping the mtime."""
    if preserve_mtime:
        sftpattrs = sftp.stat(remotepath)
    sftp.get(remotepath, localpath, callback=callback)
    if preserve_mtime:
        os.utime(localpath, (sftpattrs.st_atime, sftpattrs.st_mtime))


def _put_file(sftp, localpath, remotepath, callback, confirm, preserve_mtime, atomic):
    """pysftp's put on one SFTP session; returns the remote SFTPAttributes."""
    if preserve_mtime:
        local_stat = os.stat(localpath)
        times = (local_stat.st_atime, local_stat.st_mtime)
    sftpattrs = sftp.put(localpath, remotepath, callback=callback, confirm=confirm, atomic=atomic)
    if preserve_mtime:
        sftp.utime(remotepath, times)
        sftpattrs = sftp.stat(remotepath)
    return sftpattrs


def _make_local_dirs(localdir, remote_dirs):
    """Create each level of ``reparent(localdir, d)`` that is missing for
    every remote directory ``d`` (pysftp's get_r layout), parents first;
    ``localdir`` itself must exist, a directory already there is fine, a
    file is not (FileExistsError)."""
    levels = set()
    for d in remote_dirs:
        if d:
            levels.update(path_advance(d))
    levels.discard(".")
    for level in sorted(levels):  # a parent sorts before its children
        path = reparent(localdir, level)
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path):
                raise


def _local_tree(localpath, recurse):
    """(files, directories) under ``localpath`` as pysftp's ``walktree('.')``
    from inside it names them (``./a``, ``./a/b``; sorted), without chdir."""
    files, dirs = [], []
    for rel, kind, _ in _tree.walk_local(localpath, recurse=recurse):
        if kind in (_tree.FILE, _tree.DIR):
            (files if kind == _tree.FILE else dirs).append(os.path.join(".", rel))
    return sorted(files), sorted(dirs)


def _raise_first(errors):
    """pysftp raised the server's error of the first directory it could not make."""
    for error in errors.values():
        raise error.__cause__ or error
