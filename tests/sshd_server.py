"""A throwaway OpenSSH server on 127.0.0.1 for tests, benchmarks and demos.

Needs only the standard library and the installed ferrosftp package (its
``ferrosftp._sshd`` helpers); importable standalone (no pytest)::

    from sshd_server import SshdServer

    with SshdServer() as srv:
        print(srv.host, srv.port, srv.username, srv.keys["ed25519"])
        print(srv.ssh_cmd("echo hi"))      # -> "hi"

User model
----------
* As root: a local unprivileged user ``ferrotest`` is created if missing and its
  password is set to a random one (``srv.password``), made once per machine
  and kept in a root-only file beside the user lock, so that test runs at the
  same time agree on it and nobody else can know it; password authentication
  works (``password_auth`` is True).  ``remote_root`` is
  ``/home/ferrotest/scratch-<random>`` owned by ferrotest.
* Not root: the login user is the current user, ``password`` is None and
  ``password_auth`` is False (an unprivileged sshd cannot verify passwords);
  public-key auth works.  ``remote_root`` lives under the user's home (or the
  system temp dir if the home is not writable).

Attributes after ``start()``: host, port, username, password, password_auth,
uid, gid, keys (dict: "ed25519", "ecdsa", "rsa", "rsa_pem", "ed25519_enc"),
pub_keys (same names, ``.pub`` paths), key_passphrase, host_key_paths (dict:
"ed25519", "ecdsa", "rsa"), host_public_keys (dict name -> "type base64"),
known_hosts_path (``[127.0.0.1]:PORT type base64`` lines, all three host keys),
known_hosts_bare_path (one bare ``127.0.0.1 ssh-ed25519 base64`` line, for
pysftp-style lookups by host name only), authorized_keys_path, tmpdir,
log_path, config_path, remote_root, pid.
"""

from __future__ import annotations

import atexit
import getpass
import os
import pwd
import secrets
import signal
import socket
import subprocess
import tempfile
import time

__all__ = ["SshdServer", "SshdError", "TEST_USER", "KEY_PASSPHRASE"]

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "ssh-keygen"
SSH = "ssh"
SFTP = "sftp"

TEST_USER = "ferrotest"
KEY_PASSPHRASE = "s3cret-pass"

HOST = "127.0.0.1"



# The low-level helpers are the package's own (ferrosftp._sshd, which the demo
# uses too): one copy. ferrosftp is always installed where these tests run.
from ferrosftp._sshd import (  # noqa: E402
    SshdError,
    _children_of,
    _free_port,
    _run,
    rmtree as _rmtree,
)
from ferrosftp._sshd import _sshd_version as _sshd_version_of  # noqa: E402


_USER_LOCK = os.path.join(tempfile.gettempdir(), "ferrosftp-testuser.lock")
_PASSWORD_FILE = os.path.join(tempfile.gettempdir(), "ferrosftp-testuser.password")


def _test_password():
    """The machine's random test password (root only; call under the user lock).

    Never a fixed string: that would be a published way into every machine the
    suite ever ran on. Created 0600 without following links; a file not owned
    by root is not trusted."""
    try:
        fd = os.open(_PASSWORD_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        fd = os.open(_PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(18))
        return _test_password()
    with os.fdopen(fd) as f:
        st = os.fstat(f.fileno())
        if st.st_uid != 0 or st.st_mode & 0o077:
            raise SshdError("%s is not a private root file: remove it" % _PASSWORD_FILE)
        return f.read().strip()


def _ensure_test_user():
    """Create ``ferrotest`` if missing and give it the test password (root only).
    Returns (pwd entry, password)."""
    import fcntl

    with open(_USER_LOCK, "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        try:
            try:
                pw = pwd.getpwnam(TEST_USER)
            except KeyError:
                p = subprocess.run(["useradd", "-m", "-s", "/bin/bash", TEST_USER], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    pw = pwd.getpwnam(TEST_USER)
                except KeyError:
                    raise SshdError("useradd %s failed: %s" % (TEST_USER, p.stderr.strip())) from None
            password = _test_password()
            _run(["chpasswd"], input="%s:%s\n" % (TEST_USER, password), stdin=None)
            if not os.path.isdir(pw.pw_dir):
                os.makedirs(pw.pw_dir, mode=0o755, exist_ok=True)
                os.chown(pw.pw_dir, pw.pw_uid, pw.pw_gid)
            return pw, password
        finally:
            fcntl.flock(lk, fcntl.LOCK_UN)


def _sshd_version():
    """(major, minor) of /usr/sbin/sshd, or None if unknown."""
    return _sshd_version_of(SSHD)


class SshdServer:
    """A private sshd on 127.0.0.1:<free port>. Context manager; start()/stop()."""

    KEY_NAMES = ("ed25519", "ecdsa", "rsa", "rsa_pem", "ed25519_enc")
    HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")

    def __init__(self, *, extra_config=None, start_timeout=10.0, rsa_bits=3072):
        """extra_config: str or list of extra sshd_config lines (appended)."""
        if isinstance(extra_config, str):
            extra_config = extra_config.splitlines()
        self.extra_config = list(extra_config or [])
        self.start_timeout = start_timeout
        self.rsa_bits = rsa_bits

        self.host = HOST
        self.port = None
        self.is_root = os.geteuid() == 0
        self.username = None
        self.password = None
        self.password_auth = False
        self.uid = None
        self.gid = None
        self.home = None
        self.key_passphrase = KEY_PASSPHRASE
        self.keys = {}
        self.pub_keys = {}
        self.host_key_paths = {}
        self.host_public_keys = {}
        self.known_hosts_path = None
        self.known_hosts_bare_path = None
        self.authorized_keys_path = None
        self.config_path = None
        self.log_path = None
        self.tmpdir = None
        self.remote_root = None
        self.proc = None
        self._log_fh = None
        self._started = False

    # ------------------------------------------------------------------ API
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        if self._started:
            return self
        try:
            self._setup_user()
            self._setup_tmpdir()
            self._gen_keys()
            self._setup_remote_root()
            self._launch()
        except BaseException:
            self.stop()
            raise
        self._started = True
        atexit.register(self.stop)
        return self

    def stop(self):
        """Kill sshd (and its per-connection children), remove temp + scratch dirs.
        Safe to call more than once."""
        try:
            atexit.unregister(self.stop)
        except Exception:
            pass
        proc, self.proc = self.proc, None
        if proc is not None:
            children = self._children_of(proc.pid)
            if proc.poll() is None:
                try:
                    proc.terminate()
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
                except ProcessLookupError:
                    pass
            # per-connection sshd processes call setsid() and survive the
            # listener; end the ones this server spawned.
            for cpid in children + self._children_of(proc.pid):
                try:
                    os.kill(cpid, signal.SIGTERM)
                except OSError:
                    pass
        if self._log_fh is not None:
            try:
                self._log_fh.close()
            except Exception:
                pass
            self._log_fh = None
        remote_root, self.remote_root = self.remote_root, None
        _rmtree(remote_root)
        tmpdir, self.tmpdir = self.tmpdir, None
        _rmtree(tmpdir)
        self._started = False

    def read_log(self) -> str:
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def _client_opts(self, key="ed25519", port=None, options=()):
        port = port or self.port
        args = ["-F", "/dev/null"]
        # ssh uses the first value it sees for an option: caller's options win
        for o in options:
            args += ["-o", o]
        args += [
            "-i", self.keys[key],
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "UserKnownHostsFile=%s" % self.known_hosts_path,
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR",
            "-o", "Port=%d" % port,
            "-o", "User=%s" % self.username,
        ]
        if port != self.port:
            # e.g. through a FaultProxy: still verify against sshd's host key
            args += ["-o", "HostKeyAlias=[%s]:%d" % (self.host, self.port)]
        return args

    def ssh_args(self, key="ed25519", port=None, options=()):
        """argv for the system ssh client logging in as the test user (append
        "--", command)."""
        return [SSH] + self._client_opts(key, port, options) + [self.host]

    def sftp_args(self, key="ed25519", port=None, options=()):
        """argv for the system sftp client (add e.g. "-b", "-" before running)."""
        return [SFTP] + self._client_opts(key, port, options) + [self.host]

    def sftp_batch(self, batch, *, check=True, timeout=60, **kw):
        """Run sftp batch commands (one per line) with the system sftp client."""
        args = self.sftp_args(**kw)
        args[1:1] = ["-b", "-"]
        p = subprocess.run(args, input=batch, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise SshdError("sftp batch failed (rc=%d): %s" % (p.returncode, p.stderr))
        return p

    def ssh_run(self, cmd, *, key="ed25519", port=None, input=None, timeout=60,
                options=(), text=True, env=None):
        """Run `cmd` remotely via the system ssh client; returns CompletedProcess."""
        return subprocess.run(
            self.ssh_args(key=key, port=port, options=options) + ["--", cmd],
            input=input, stdin=None if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, text=text,
            env=env,
        )

    def ssh_cmd(self, cmd, *, check=True, **kw) -> str:
        """Run `cmd` as the test user via the system ssh client (independent of
        ferrosftp); returns stdout without the trailing newline."""
        p = self.ssh_run(cmd, **kw)
        if check and p.returncode != 0:
            raise SshdError("ssh %r failed (rc=%d): %s\n--- sshd log tail ---\n%s"
                            % (cmd, p.returncode, p.stderr, self.read_log()[-3000:]))
        out = p.stdout
        if isinstance(out, bytes):
            return out[:-1] if out.endswith(b"\n") else out
        return out[:-1] if out.endswith("\n") else out

    def chown_to_user(self, path):
        """Give `path` to the login user (no-op unless root)."""
        if self.is_root:
            os.chown(path, self.uid, self.gid)

    def make_remote_dir(self, name=None) -> str:
        """Create a fresh empty directory under remote_root owned by the user."""
        name = name or "d-" + secrets.token_hex(6)
        path = os.path.join(self.remote_root, name)
        os.makedirs(path, mode=0o755)
        self.chown_to_user(path)
        return path

    # ------------------------------------------------------------ internals
    def _setup_user(self):
        if self.is_root:
            pw, self.password = _ensure_test_user()
            self.username = TEST_USER
            self.password_auth = True
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
            os.chmod("/run/sshd", 0o755)
        else:
            self.username = getpass.getuser()
            pw = pwd.getpwnam(self.username)
            self.password = None
            self.password_auth = False
        self.uid, self.gid, self.home = pw.pw_uid, pw.pw_gid, pw.pw_dir

    def _setup_tmpdir(self):
        self.tmpdir = tempfile.mkdtemp(prefix="ferrosftp-sshd-")
        # sshd reads authorized_keys *as the login user*, so the path must be
        # traversable by it.  Private keys inside stay 0600.
        os.chmod(self.tmpdir, 0o755)
        self.log_path = os.path.join(self.tmpdir, "sshd.log")
        self.config_path = os.path.join(self.tmpdir, "sshd_config")

    def _keygen(self, path, ktype, *extra, passphrase=""):
        args = [SSH_KEYGEN, "-q", "-t", ktype, "-N", passphrase, "-C",
                "ferrosftp-test-" + os.path.basename(path), "-f", path]
        if ktype == "rsa":
            args[2:2] = ["-b", str(self.rsa_bits)]
        args += list(extra)
        _run(args)
        os.chmod(path, 0o600)
        os.chmod(path + ".pub", 0o644)

    def _gen_keys(self):
        d = self.tmpdir
        for kt in self.HOST_KEY_TYPES:
            p = os.path.join(d, "ssh_host_%s_key" % kt)
            self._keygen(p, kt)
            self.host_key_paths[kt] = p
            with open(p + ".pub") as f:
                self.host_public_keys[kt] = " ".join(f.read().split()[:2])

        spec = {
            "ed25519": ("id_ed25519", "ed25519", (), ""),
            "ecdsa": ("id_ecdsa", "ecdsa", (), ""),
            "rsa": ("id_rsa", "rsa", (), ""),
            "rsa_pem": ("id_rsa_pem", "rsa", ("-m", "PEM"), ""),
            "ed25519_enc": ("id_ed25519_enc", "ed25519", (), KEY_PASSPHRASE),
        }
        pubs = []
        for name in self.KEY_NAMES:
            fname, kt, extra, pp = spec[name]
            p = os.path.join(d, fname)
            self._keygen(p, kt, *extra, passphrase=pp)
            self.keys[name] = p
            self.pub_keys[name] = p + ".pub"
            with open(p + ".pub") as f:
                pubs.append(f.read().strip())

        self.authorized_keys_path = os.path.join(d, "authorized_keys")
        with open(self.authorized_keys_path, "w") as f:
            f.write("\n".join(pubs) + "\n")
        os.chmod(self.authorized_keys_path, 0o644)

    def _write_known_hosts(self):
        self.known_hosts_path = os.path.join(self.tmpdir, "known_hosts")
        with open(self.known_hosts_path, "w") as f:
            for kt in self.HOST_KEY_TYPES:
                f.write("[%s]:%d %s\n" % (self.host, self.port, self.host_public_keys[kt]))
        self.known_hosts_bare_path = os.path.join(self.tmpdir, "known_hosts_bare")
        with open(self.known_hosts_bare_path, "w") as f:
            f.write("%s %s\n" % (self.host, self.host_public_keys["ed25519"]))

    def _setup_remote_root(self):
        name = "scratch-" + secrets.token_hex(6)
        if self.is_root:
            base = self.home
        else:
            base = self.home
            if not (os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK)):
                base = tempfile.gettempdir()
        path = os.path.join(base, name)
        os.makedirs(path, mode=0o755)
        self.chown_to_user(path)
        self.remote_root = path

    def _config_text(self):
        lines = [
            "# generated by tests/sshd_server.py",
            "ListenAddress %s" % self.host,
            "Port %d" % self.port,
        ]
        lines += ["HostKey %s" % self.host_key_paths[kt] for kt in self.HOST_KEY_TYPES]
        lines += [
            "PidFile %s" % os.path.join(self.tmpdir, "sshd.pid"),
            "AuthorizedKeysFile %s" % self.authorized_keys_path,
            "StrictModes no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin yes",
            "MaxStartups 200:30:300",
            "MaxSessions 100",
            "Subsystem sftp internal-sftp",
            "AcceptEnv FERRO_*",
            "LogLevel VERBOSE",
            "UseDNS no",
            "PrintMotd no",
        ]
        ver = _sshd_version()
        if ver and ver >= (9, 8):
            # fault-injection tests abort many connections; don't let the
            # penalty box lock 127.0.0.1 out.
            lines.append("PerSourcePenalties no")
        lines += self.extra_config
        return "\n".join(lines) + "\n"

    def _launch(self):
        last_err = None
        for _attempt in range(5):
            self.port = _free_port()
            self._write_known_hosts()
            with open(self.config_path, "w") as f:
                f.write(self._config_text())
            # validate config first for a clear error
            t = subprocess.run([SSHD, "-t", "-f", self.config_path], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if t.returncode != 0:
                raise SshdError("sshd -t rejected config:\n%s\n--- config ---\n%s"
                                % (t.stdout, self._config_text()))
            if self._log_fh is not None:
                self._log_fh.close()
            self._log_fh = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", self.config_path],
                stdin=subprocess.DEVNULL, stdout=self._log_fh, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True,
            )
            try:
                self._wait_ready()
                return
            except SshdError as e:
                last_err = e
                log = self.read_log()
                proc, self.proc = self.proc, None
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                if "Address already in use" in log or "Cannot bind any address" in log:
                    continue  # lost the port race; try another port
                raise
        raise last_err

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SshdError("sshd exited with rc=%s\n--- log ---\n%s"
                                % (self.proc.returncode, self.read_log()))
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as s:
                    buf = b""
                    s.settimeout(2)
                    while b"\n" not in buf and len(buf) < 512:
                        chunk = s.recv(256)
                        if not chunk:
                            break
                        buf += chunk
                    if buf.startswith(b"SSH-2.0"):
                        return
                    last = "unexpected banner %r" % buf
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise SshdError("sshd on %s:%s not ready after %.0fs (%s)\n--- log ---\n%s"
                        % (self.host, self.port, self.start_timeout, last, self.read_log()))

    _children_of = staticmethod(_children_of)

    def __repr__(self):
        return "<SshdServer %s@%s:%s pid=%s>" % (self.username, self.host, self.port, self.pid)


if __name__ == "__main__":  # manual smoke test: python3 tests/sshd_server.py
    with SshdServer() as srv:
        print(repr(srv))
        print("ssh echo:", srv.ssh_cmd("echo hi"))
        print("remote_root:", srv.remote_root)
