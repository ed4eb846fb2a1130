"""A throwaway OpenSSH server on 127.0.0.1, for tests, benchmarks and
``ferrosftp demo`` (standard library only)::

    from ferrosftp.testing import SshdServer

    with SshdServer() as srv:
        print(srv.host, srv.port, srv.username, srv.keys["ed25519"])
        print(srv.ssh_cmd("echo hi"))      # -> "hi" (the system ssh client)

It needs OpenSSH's ``sshd`` and ``ssh-keygen`` on this machine
(:class:`SshdMissing` says which is missing and how to install it). The
server listens on 127.0.0.1 only, on a free port, and everything it uses
(host keys, client keys, known_hosts, config, log) lives in one temp
directory removed by :meth:`SshdServer.stop`.

Who logs in
-----------
* By default, the user running this (root included), with the client keys
  generated for this run; no account is created and ``password`` is None.
* ``test_user=True`` and running as root: the local unprivileged user
  ``ferrotest`` (:data:`TEST_USER`), created if missing, with a random
  password (``srv.password``) made once per machine and kept in a root-only
  file beside the user lock, so that runs at the same time agree on it and
  nobody else can know it; ``password_auth`` is True. An unprivileged sshd
  cannot verify passwords, so without root ``password_auth`` stays False.

Attributes after ``start()``: host, port, username, password, password_auth,
uid, gid, home, is_root, keys (dict: the names of ``client_keys``, among
"ed25519", "ecdsa", "rsa", "rsa_pem", "ed25519_enc"), pub_keys (same names,
``.pub`` paths), key_passphrase (of "ed25519_enc"), host_key_paths and
host_public_keys (by key type), known_hosts_path (``[127.0.0.1]:PORT type
base64``, every host key), known_hosts_bare_path (one bare ``127.0.0.1
ssh-ed25519 base64`` line, for pysftp-style lookups by host name only),
authorized_keys_path, tmpdir, log_path, config_path, remote_root (an empty
directory the login user owns), pid.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

__all__ = [
    "SshdServer",
    "SshdError",
    "SshdMissing",
    "TEST_USER",
    "KEY_PASSPHRASE",
    "CLIENT_KEYS",
    "HOST_KEY_TYPES",
    "descendants",
    "find_sshd",
    "rmtree",
]

HOST = "127.0.0.1"
TEST_USER = "ferrotest"
KEY_PASSPHRASE = "s3cret-pass"

#: client key name -> (file name, ssh-keygen type, extra ssh-keygen arguments, encrypted)
_CLIENT_KEY_SPECS = {
    "ed25519": ("id_ed25519", "ed25519", (), False),
    "ecdsa": ("id_ecdsa", "ecdsa", (), False),
    "rsa": ("id_rsa", "rsa", (), False),
    "rsa_pem": ("id_rsa_pem", "rsa", ("-m", "PEM"), False),
    "ed25519_enc": ("id_ed25519_enc", "ed25519", (), True),
}
CLIENT_KEYS = tuple(_CLIENT_KEY_SPECS)
HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")

_USER_LOCK = os.path.join(tempfile.gettempdir(), "ferrosftp-testuser.lock")
_PASSWORD_FILE = os.path.join(tempfile.gettempdir(), "ferrosftp-testuser.password")


class SshdMissing(RuntimeError):
    """OpenSSH's server or key generator is not installed."""


class SshdError(RuntimeError):
    """sshd or one of its tools failed (the message has their output)."""


def find_sshd() -> str:
    """Path of OpenSSH's sshd (``FERROSFTP_SSHD`` overrides the search)."""
    override = os.environ.get("FERROSFTP_SSHD")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise SshdMissing(
            "sshd not found at FERROSFTP_SSHD={}: install openssh-server "
            "(apt-get install openssh-server) or fix the variable".format(override)
        )
    for cand in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd"):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise SshdMissing("sshd not found: install openssh-server (apt-get install openssh-server)")


def _find_keygen() -> str:
    path = shutil.which("ssh-keygen")
    if not path:
        raise SshdMissing("ssh-keygen not found: install openssh-client (apt-get install openssh-client)")
    return path


def _run(args, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("text", True)
    p = subprocess.run(args, **kw)
    if p.returncode != 0:
        raise SshdError(
            "command failed (rc=%d): %s\nstdout: %s\nstderr: %s"
            % (p.returncode, " ".join(map(str, args)), p.stdout, p.stderr)
        )
    return p


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _sshd_version(sshd):
    """(major, minor) of an sshd binary, or None if unknown."""
    try:
        p = subprocess.run(
            [sshd, "-V"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", p.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else None


def rmtree(path):
    """shutil.rmtree that also copes with read-only directories and files
    (tests make some); no error if ``path`` is gone."""
    if not path or not os.path.lexists(path):
        return

    def onerror(func, p, exc_info):
        try:
            parent = os.path.dirname(p)
            os.chmod(parent, stat.S_IRWXU | os.stat(parent).st_mode)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU | os.stat(p).st_mode)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)
    if os.path.lexists(path):  # second attempt after the chmods
        shutil.rmtree(path, ignore_errors=True)


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
    """Create :data:`TEST_USER` if missing and give it the test password (root
    only). Returns (pwd entry, password)."""
    import fcntl

    with open(_USER_LOCK, "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        try:
            try:
                pw = pwd.getpwnam(TEST_USER)
            except KeyError:
                p = subprocess.run(
                    ["useradd", "-m", "-s", "/bin/bash", TEST_USER],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
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


class SshdServer:
    """A private sshd on 127.0.0.1:<free port>. Context manager; start()/stop().

    ``client_keys``/``host_key_types``: which keys to make (fewer start
    faster). ``test_user``: as root, log in as :data:`TEST_USER` (see the
    module). ``password_authentication``: sshd's PasswordAuthentication (and
    root may log in with a password too). ``remote_root_in_home``: the
    scratch ``remote_root`` under the login user's home (else the system
    temp dir), or inside the server's temp directory. ``extra_config``: a
    str or a list of sshd_config lines appended (sshd uses the first value
    of a keyword); ``overrides``: {keyword: value} replacing the generated
    line (None removes it). ``SshdMissing`` is raised here when OpenSSH is
    not installed."""

    def __init__(
        self,
        *,
        client_keys=CLIENT_KEYS,
        host_key_types=HOST_KEY_TYPES,
        test_user=False,
        password_authentication=True,
        remote_root_in_home=True,
        extra_config=None,
        overrides=None,
        start_timeout=10.0,
        rsa_bits=3072,
    ):
        if isinstance(extra_config, str):
            extra_config = extra_config.splitlines()
        unknown = set(client_keys) - set(_CLIENT_KEY_SPECS)
        if unknown:
            raise ValueError("unknown client key name(s): %s" % ", ".join(sorted(unknown)))
        self.sshd = find_sshd()
        self.keygen = _find_keygen()
        self.client_keys = tuple(client_keys)
        self.host_key_types = tuple(host_key_types)
        self.test_user = test_user
        self.password_authentication = password_authentication
        self.remote_root_in_home = remote_root_in_home
        self.extra_config = list(extra_config or [])
        self.overrides = dict(overrides or {})
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
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self) -> "SshdServer":
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

    def stop(self) -> None:
        """Kill sshd (and its per-connection children), remove temp + scratch
        dirs. Safe to call more than once."""
        try:
            atexit.unregister(self.stop)
        except Exception:  # noqa: BLE001
            pass
        proc, self.proc = self.proc, None
        if proc is not None:
            # per-connection sshd processes call setsid() and outlive the
            # listener: end the ones this server spawned too
            kids = descendants(proc.pid)
            if proc.poll() is None:
                try:
                    proc.terminate()
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
                except ProcessLookupError:
                    pass
            for cpid in kids:
                try:
                    os.kill(cpid, signal.SIGTERM)
                except OSError:
                    pass
        if self._log_fh is not None:
            try:
                self._log_fh.close()
            except Exception:  # noqa: BLE001
                pass
            self._log_fh = None
        remote_root, self.remote_root = self.remote_root, None
        rmtree(remote_root)
        tmpdir, self.tmpdir = self.tmpdir, None
        rmtree(tmpdir)
        self._started = False

    def restart(self, new_host_keys=False) -> None:
        """Kill sshd and its sessions at once (SIGKILL), optionally make new
        host keys (known_hosts files are not rewritten: clients see a changed
        key), and start it again on the same port with the same config."""
        proc, self.proc = self.proc, None
        kids = descendants(proc.pid)
        proc.kill()
        proc.wait(10)
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if new_host_keys:
            for kt, path in self.host_key_paths.items():
                for p in (path, path + ".pub"):
                    if os.path.exists(p):
                        os.unlink(p)
                self._keygen(path, kt)
                with open(path + ".pub") as f:
                    self.host_public_keys[kt] = " ".join(f.read().split()[:2])
        deadline = time.monotonic() + 10
        while True:
            self._spawn()
            try:
                self._wait_ready()
                return
            except SshdError:
                proc, self.proc = self.proc, None
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def read_log(self) -> str:
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def log_tail(self, limit: int = 2000) -> str:
        """The end of sshd's log (gone after :meth:`stop`)."""
        return self.read_log()[-limit:]

    def log_size(self) -> int:
        """The log's size now: :meth:`log_since` it reads what came after."""
        try:
            return os.path.getsize(self.log_path)
        except (OSError, TypeError):
            return 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "r", errors="replace") as f:
            f.seek(offset)
            return f.read()

    def _client_opts(self, key="ed25519", port=None, options=()):
        port = port or self.port
        args = ["-F", "/dev/null"]
        # ssh uses the first value it sees for an option: caller's options win
        for o in options:
            args += ["-o", o]
        args += [
            "-i",
            self.keys[key],
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "UserKnownHostsFile=%s" % self.known_hosts_path,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "Port=%d" % port,
            "-o",
            "User=%s" % self.username,
        ]
        if port != self.port:
            # e.g. through a FaultProxy: still verify against sshd's host key
            args += ["-o", "HostKeyAlias=[%s]:%d" % (self.host, self.port)]
        return args

    def ssh_args(self, key="ed25519", port=None, options=()):
        """argv for the system ssh client logging in as the login user (append
        "--", command)."""
        return ["ssh"] + self._client_opts(key, port, options) + [self.host]

    def sftp_args(self, key="ed25519", port=None, options=()):
        """argv for the system sftp client (add e.g. "-b", "-" before running)."""
        return ["sftp"] + self._client_opts(key, port, options) + [self.host]

    def sftp_batch(self, batch, *, check=True, timeout=60, **kw):
        """Run sftp batch commands (one per line) with the system sftp client."""
        args = self.sftp_args(**kw)
        args[1:1] = ["-b", "-"]
        p = subprocess.run(
            args, input=batch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout
        )
        if check and p.returncode != 0:
            raise SshdError("sftp batch failed (rc=%d): %s" % (p.returncode, p.stderr))
        return p

    def ssh_run(self, cmd, *, key="ed25519", port=None, input=None, timeout=60, options=(), text=True, env=None):
        """Run `cmd` remotely via the system ssh client; returns CompletedProcess."""
        return subprocess.run(
            self.ssh_args(key=key, port=port, options=options) + ["--", cmd],
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            text=text,
            env=env,
        )

    def ssh_cmd(self, cmd, *, check=True, **kw) -> str:
        """Run `cmd` as the login user via the system ssh client (independent of
        ferrosftp); returns stdout without the trailing newline."""
        p = self.ssh_run(cmd, **kw)
        if check and p.returncode != 0:
            raise SshdError(
                "ssh %r failed (rc=%d): %s\n--- sshd log tail ---\n%s"
                % (cmd, p.returncode, p.stderr, self.read_log()[-3000:])
            )
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
            # sshd's privilege-separation directory
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
            os.chmod("/run/sshd", 0o755)
        if self.is_root and self.test_user:
            pw, self.password = _ensure_test_user()
            self.password_auth = self.password_authentication
        else:
            pw = pwd.getpwuid(os.geteuid())
        self.username = pw.pw_name
        self.uid, self.gid, self.home = pw.pw_uid, pw.pw_gid, pw.pw_dir

    def _setup_tmpdir(self):
        self.tmpdir = tempfile.mkdtemp(prefix="ferrosftp-sshd-")
        # sshd reads authorized_keys *as the login user*, so the path must be
        # traversable by it.  Private keys inside stay 0600.
        os.chmod(self.tmpdir, 0o755)
        self.log_path = os.path.join(self.tmpdir, "sshd.log")
        self.config_path = os.path.join(self.tmpdir, "sshd_config")

    def _keygen(self, path, ktype, *extra, passphrase=""):
        args = [
            self.keygen,
            "-q",
            "-t",
            ktype,
            "-N",
            passphrase,
            "-C",
            "ferrosftp-test-" + os.path.basename(path),
            "-f",
            path,
        ]
        if ktype == "rsa":
            args[2:2] = ["-b", str(self.rsa_bits)]
        args += list(extra)
        _run(args)
        os.chmod(path, 0o600)
        os.chmod(path + ".pub", 0o644)

    def _gen_keys(self):
        d = self.tmpdir
        for kt in self.host_key_types:
            p = os.path.join(d, "ssh_host_%s_key" % kt)
            self._keygen(p, kt)
            self.host_key_paths[kt] = p
            with open(p + ".pub") as f:
                self.host_public_keys[kt] = " ".join(f.read().split()[:2])
        pubs = []
        for name in self.client_keys:
            fname, kt, extra, encrypted = _CLIENT_KEY_SPECS[name]
            p = os.path.join(d, fname)
            self._keygen(p, kt, *extra, passphrase=KEY_PASSPHRASE if encrypted else "")
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
            for kt in self.host_key_types:
                f.write("[%s]:%d %s\n" % (self.host, self.port, self.host_public_keys[kt]))
        self.known_hosts_bare_path = os.path.join(self.tmpdir, "known_hosts_bare")
        with open(self.known_hosts_bare_path, "w") as f:
            f.write("%s %s\n" % (self.host, self.host_public_keys[self.host_key_types[0]]))

    def _setup_remote_root(self):
        name = "scratch-" + secrets.token_hex(6)
        base = self.tmpdir
        if self.remote_root_in_home:
            base = self.home
            if not self.is_root and not (os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK)):
                base = tempfile.gettempdir()
        path = os.path.join(base, name)
        # inside our temp dir nobody else needs to look (the demo's case)
        os.makedirs(path, mode=0o755 if self.remote_root_in_home else 0o700)
        self.chown_to_user(path)
        self.remote_root = path

    def _config_text(self):
        password = "yes" if self.password_authentication else "no"
        lines = [
            "# generated by ferrosftp.testing.sshd",
            "ListenAddress %s" % self.host,
            "Port %d" % self.port,
        ]
        lines += ["HostKey %s" % self.host_key_paths[kt] for kt in self.host_key_types]
        lines += [
            "PidFile %s" % os.path.join(self.tmpdir, "sshd.pid"),
            "AuthorizedKeysFile %s" % self.authorized_keys_path,
            "StrictModes no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication %s" % password,
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin %s" % ("yes" if self.password_authentication else "prohibit-password"),
            "MaxStartups 200:30:300",
            "MaxSessions 100",
            "Subsystem sftp internal-sftp",
            "AcceptEnv FERRO_*",
            "LogLevel VERBOSE",
            "UseDNS no",
            "PrintMotd no",
        ]
        ver = _sshd_version(self.sshd)
        if ver and ver >= (9, 8):
            # fault-injection tests abort many connections; don't let the
            # penalty box lock 127.0.0.1 out.
            lines.append("PerSourcePenalties no")
        lines += self.extra_config
        out = []
        for line in lines:
            word = line.split(None, 1)[0] if line.strip() else ""
            if word in self.overrides:
                if self.overrides[word] is not None:
                    out.append("%s %s" % (word, self.overrides[word]))
                continue
            out.append(line)
        return "\n".join(out) + "\n"

    def _spawn(self):
        if self._log_fh is None:
            self._log_fh = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.sshd, "-D", "-e", "-f", self.config_path],
            stdin=subprocess.DEVNULL,
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )

    def _launch(self):
        last_err = None
        for _attempt in range(5):
            self.port = _free_port()
            self._write_known_hosts()
            with open(self.config_path, "w") as f:
                f.write(self._config_text())
            # validate config first for a clear error
            t = subprocess.run(
                [self.sshd, "-t", "-f", self.config_path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            if t.returncode != 0:
                raise SshdError("sshd -t rejected config:\n%s\n--- config ---\n%s" % (t.stdout, self._config_text()))
            self._spawn()
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
                raise SshdError("sshd exited with rc=%s\n--- log ---\n%s" % (self.proc.returncode, self.read_log()))
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
        raise SshdError(
            "sshd on %s:%s not ready after %.0fs (%s)\n--- log ---\n%s"
            % (self.host, self.port, self.start_timeout, last, self.read_log())
        )

    def __repr__(self):
        return "<SshdServer %s@%s:%s pid=%s>" % (self.username, self.host, self.port, self.pid)


def descendants(pid):
    """All live descendants of `pid` (children, grandchildren, ...)."""
    parents = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for e in entries:
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(e))
    out, todo = [], [pid]
    while todo:
        for kid in parents.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out
