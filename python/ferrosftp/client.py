"""paramiko.SSHClient twin and the missing-host-key policies."""

from __future__ import annotations

import getpass
import inspect
import logging
import os
import sys
import warnings
from binascii import hexlify
from typing import Optional

from .hostkeys import HostKeyEntry, HostKeys
from .ssh_exception import BadHostKeyException, SSHException
from .transport import Transport, connect_tcp

log = logging.getLogger("ferrosftp.client")

SSH_PORT = 22

# Keys tried with look_for_keys, in paramiko's order.
_DEFAULT_KEY_FILES = ("id_rsa", "id_ecdsa", "id_ed25519")


class MissingHostKeyPolicy:
    """Decides what to do with a server key that is in no known_hosts set.

    Subclass and override ``missing_host_key``; raise to reject."""

    def missing_host_key(self, client: "SSHClient", hostname: str, key) -> None:
        pass


class AutoAddPolicy(MissingHostKeyPolicy):
    """Accept and remember the key (saved if load_host_keys named a file)."""

    def missing_host_key(self, client, hostname, key):
        client._host_keys.add(hostname, key.get_name(), key)
        if client._host_keys_filename is not None:
            client.save_host_keys(client._host_keys_filename)
        log.debug("Adding %s host key for %s: %s", key.get_name(), hostname, hexlify(key.get_fingerprint()))


class RejectPolicy(MissingHostKeyPolicy):
    """Refuse unknown hosts (the default)."""

    def missing_host_key(self, client, hostname, key):
        log.debug("Rejecting %s host key for %s: %s", key.get_name(), hostname, hexlify(key.get_fingerprint()))
        raise SSHException("Server {!r} not found in known_hosts".format(hostname))


class WarningPolicy(MissingHostKeyPolicy):
    """Accept, with a UserWarning."""

    def missing_host_key(self, client, hostname, key):
        warnings.warn(
            "Unknown {} host key for {}: {}".format(key.get_name(), hostname, hexlify(key.get_fingerprint()).decode())
        )


def _host_key_name(hostname: str, port: int) -> str:
    return hostname if port == SSH_PORT else "[{}]:{}".format(hostname, port)


def _verdict(hostkeys: HostKeys, name: str, key):
    """(verdict, expected key or None) from one known-hosts set."""
    result = hostkeys.verify(name, key)
    if isinstance(result, tuple):
        return result
    expected = None
    if result == "changed":
        entry = hostkeys.lookup(name) or {}
        expected = entry.get(key.get_name())
    return result, expected


class SSHClient:
    """A high-level SSH client (paramiko.SSHClient)."""

    def __init__(self) -> None:
        self._system_host_keys = HostKeys()
        self._host_keys = HostKeys()
        self._host_keys_filename: Optional[str] = None
        self._log_channel: Optional[str] = None
        self._policy: MissingHostKeyPolicy = RejectPolicy()
        self._transport: Optional[Transport] = None
        self._agent = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- host keys ----------------------------------------------------------

    def load_system_host_keys(self, filename: Optional[str] = None) -> None:
        if filename is None:
            filename = os.path.expanduser("~/.ssh/known_hosts")
            try:
                self._system_host_keys.load(filename)
            except IOError:
                pass
            return
        self._system_host_keys.load(filename)

    def load_host_keys(self, filename: str) -> None:
        self._host_keys_filename = filename
        self._host_keys.load(filename)

    def save_host_keys(self, filename: str) -> None:
        # paramiko re-reads the file first so keys added by others are kept.
        # Lines we do not rewrite ourselves (comments, @cert-authority/@revoked,
        # unknown key types, bad lines) are kept verbatim; the file is replaced
        # atomically (temp + rename) and keeps its mode.
        kept: list = []
        mode = None
        target = os.path.realpath(filename)
        if os.path.exists(target):
            self._host_keys.load(target)
            mode = os.stat(target).st_mode & 0o7777
            with open(target, "r") as old:
                for line in old:
                    text = line.strip()
                    if not text:
                        continue
                    try:
                        entry = HostKeyEntry.from_line(text)
                    except Exception:
                        entry = None
                    if entry is None or entry.marker or text.startswith("#"):
                        kept.append(text + "\n")
        directory = os.path.dirname(target) or "."
        tmp = os.path.join(directory, ".{}.{}.tmp".format(os.path.basename(target), os.urandom(8).hex()))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "w") as f:
                if mode is not None:
                    os.fchmod(f.fileno(), mode)
                f.writelines(kept)
                for hostname, keys in self._host_keys.items():
                    for keytype, key in keys.items():
                        f.write("{} {} {}\n".format(hostname, keytype, key.get_base64()))
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def get_host_keys(self) -> HostKeys:
        return self._host_keys

    def set_log_channel(self, name: str) -> None:
        self._log_channel = name

    def set_missing_host_key_policy(self, policy) -> None:
        if inspect.isclass(policy):
            policy = policy()
        self._policy = policy

    # -- connect --------------------------------------------------------------

    def connect(
        self,
        hostname,
        port=SSH_PORT,
        username=None,
        password=None,
        pkey=None,
        key_filename=None,
        timeout=None,
        allow_agent=True,
        look_for_keys=True,
        compress=False,
        sock=None,
        gss_auth=False,
        gss_kex=False,
        gss_deleg_creds=True,
        gss_host=None,
        banner_timeout=None,
        auth_timeout=None,
        channel_timeout=None,
        gss_trust_dns=True,
        passphrase=None,
        disabled_algorithms=None,
        transport_factory=None,
        auth_strategy=None,
    ):
        """Connect, verify the host key, and authenticate, in paramiko's order.

        With ``auth_strategy`` (an `AuthStrategy`), the strategy authenticates
        instead of the classic arguments (``password``, ``pkey``,
        ``key_filename``, ``allow_agent``, ``look_for_keys``, ``passphrase``
        are then ignored, as in paramiko) and its `AuthResult` is returned;
        otherwise returns ``None``."""
        if gss_auth or gss_kex:
            raise SSHException("GSS-API authentication is not supported by ferrosftp")
        if sock is None:
            # No timeout given: still never wait forever (DEFAULT_TIMEOUT).
            connect_timeout = timeout if timeout is not None else sys.modules["ferrosftp"].DEFAULT_TIMEOUT
            sock = connect_tcp(hostname, port, connect_timeout)
        factory = transport_factory or Transport
        t = self._transport = factory(sock, disabled_algorithms=disabled_algorithms)
        if banner_timeout is not None:
            t.banner_timeout = banner_timeout
        if auth_timeout is not None:
            t.auth_timeout = auth_timeout
        if channel_timeout is not None:
            t.channel_timeout = channel_timeout
        if self._log_channel is not None:
            t.set_log_channel(self._log_channel)
        t.use_compression(compress=compress)

        server_name = _host_key_name(hostname, port)
        known_types = []
        for keys in (self._system_host_keys, self._host_keys):
            known_types.extend((keys.lookup(server_name) or {}).keys())
        if known_types:
            t.prefer_host_key_types(known_types)

        handshake_timeout = timeout if timeout is not None else t.banner_timeout
        if banner_timeout is not None:
            handshake_timeout = banner_timeout
        try:
            t.start_client(timeout=handshake_timeout)
        except BaseException:
            t.close()
            raise

        try:
            self._check_host_key(t, hostname, server_name)
            if username is None:
                username = getpass.getuser()
            if auth_strategy is not None:
                # paramiko 3.2+: the strategy replaces the classic auth
                return auth_strategy.authenticate(transport=t)
            if key_filename is None:
                key_filenames = []
            elif isinstance(key_filename, str):
                key_filenames = [key_filename]
            else:
                key_filenames = list(key_filename)
            self._auth(username, password, pkey, key_filenames, allow_agent, look_for_keys, passphrase)
        except BaseException:
            t.close()
            raise

    def _check_host_key(self, t: Transport, hostname: str, server_name: str) -> None:
        server_key = t.get_remote_server_key()
        verdicts = [_verdict(keys, server_name, server_key) for keys in (self._system_host_keys, self._host_keys)]
        for verdict, expected in verdicts:
            if verdict == "revoked":
                raise BadHostKeyException(hostname, server_key, expected or server_key)
        for verdict, expected in verdicts:
            if verdict == "changed":
                raise BadHostKeyException(hostname, server_key, expected)
        if any(verdict == "match" for verdict, _ in verdicts):
            return
        self._policy.missing_host_key(self, server_name, server_key)

    def _auth(self, username, password, pkey, key_filenames, allow_agent, look_for_keys, passphrase):
        """paramiko's order: pkey, key files, agent, ~/.ssh keys, password."""
        from .pkey import PKey

        t = self._transport
        saved_exception: Optional[BaseException] = None
        if passphrase is None and password is not None:
            passphrase = password

        if pkey is not None:
            try:
                log.debug("Trying SSH key %s", pkey.get_fingerprint().hex())
                t.auth_publickey(username, pkey)
                return
            except SSHException as e:
                saved_exception = e

        for key_filename in key_filenames:
            try:
                key = PKey.from_path(key_filename, passphrase)
                t.auth_publickey(username, key)
                return
            except (SSHException, OSError) as e:
                saved_exception = e

        if allow_agent and os.environ.get("SSH_AUTH_SOCK"):
            try:
                t.auth_agent(username)
                return
            except SSHException as e:
                saved_exception = e

        if look_for_keys:
            for directory in ("~/.ssh", "~/ssh"):
                for name in _DEFAULT_KEY_FILES:
                    path = os.path.expanduser(os.path.join(directory, name))
                    if not os.path.isfile(path):
                        continue
                    try:
                        key = PKey.from_path(path, passphrase)
                        t.auth_publickey(username, key)
                        return
                    except (SSHException, OSError) as e:
                        saved_exception = e

        if password is not None:
            try:
                t.auth_password(username, password)
                return
            except SSHException as e:
                saved_exception = e

        if saved_exception is not None:
            raise saved_exception
        raise SSHException("No authentication methods available")

    # -- use ----------------------------------------------------------------

    def close(self) -> None:
        if self._transport is None:
            return
        self._transport.close()
        self._transport = None

    def exec_command(self, command, bufsize=-1, timeout=None, get_pty=False, environment=None):
        """Run a command; returns (stdin, stdout, stderr) file objects."""
        chan = self._require_transport().open_session(timeout=timeout)
        if get_pty:
            chan.get_pty()
        chan.settimeout(timeout)
        if environment:
            chan.update_environment(environment)
        chan.exec_command(command)
        stdin = chan.makefile_stdin("wb", bufsize)
        stdout = chan.makefile("r", bufsize)
        stderr = chan.makefile_stderr("r", bufsize)
        return stdin, stdout, stderr

    def invoke_shell(self, term="vt100", width=80, height=24, width_pixels=0, height_pixels=0, environment=None):
        chan = self._require_transport().open_session()
        chan.get_pty(term, width, height, width_pixels, height_pixels)
        if environment:
            chan.update_environment(environment)
        chan.invoke_shell()
        return chan

    def open_sftp(self):
        return self._require_transport().open_sftp_client()

    def get_transport(self) -> Optional[Transport]:
        return self._transport

    def _require_transport(self) -> Transport:
        if self._transport is None or not self._transport.is_active():
            raise SSHException("SSH session not active")
        return self._transport
