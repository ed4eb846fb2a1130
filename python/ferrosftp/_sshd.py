"""A throwaway OpenSSH server on 127.0.0.1, for ``ferrosftp demo``.

Adapted from the test suite's ``tests/sshd_server.py`` (the package must not
import from tests/); standard library only.  It needs OpenSSH's ``sshd`` and
``ssh-keygen`` on this machine; :class:`SshdMissing` says which is missing
and how to install it.

The login user is always the user running the demo (root included), and the
only way in is a key generated for this run: no account is created, no
password is set or accepted (``PasswordAuthentication no``), and the server
listens on 127.0.0.1 only.

Everything lives in one temp directory (host key, client key, known_hosts,
config, log, and the scratch directory the demo writes into) removed by
:meth:`DemoSshd.stop`.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

__all__ = ["DemoSshd", "SshdMissing", "find_sshd"]

HOST = "127.0.0.1"


class SshdMissing(RuntimeError):
    """OpenSSH's server or key generator is not installed."""


class SshdError(RuntimeError):
    pass


def find_sshd() -> str:
    """Path of OpenSSH's sshd (``FERROSFTP_SSHD`` overrides the search)."""
    override = os.environ.get("FERROSFTP_SSHD")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise SshdMissing("sshd not found at FERROSFTP_SSHD={}: install openssh-server "
                          "(apt-get install openssh-server) or fix the variable".format(override))
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
    try:
        p = subprocess.run([sshd, "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", p.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else None


def rmtree(path):
    """rmtree that also copes with read-only dirs / files created by tests."""
    if not path or not os.path.lexists(path):
        return

    def onerror(func, p, exc_info):
        try:
            parent = os.path.dirname(p)
            os.chmod(parent, stat.S_IRWXU | os.stat(parent).st_mode)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU | os.stat(p).st_mode)
            func(p)
        except FileNotFoundError:
            pass
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)
    if os.path.lexists(path):  # second attempt after the chmods
        shutil.rmtree(path, ignore_errors=True)


class DemoSshd:
    """``with DemoSshd() as srv:`` -> srv.host, srv.port, srv.username,
    srv.key_path, srv.known_hosts_path, srv.remote_root."""

    def __init__(self, start_timeout: float = 10.0):
        self.sshd = find_sshd()
        self.keygen = _find_keygen()
        self.start_timeout = start_timeout
        self.host = HOST
        self.port = None
        self.is_root = os.geteuid() == 0
        self.username = None
        self.uid = self.gid = None
        self.home = None
        self.tmpdir = None
        self.key_path = None
        self.known_hosts_path = None
        self.remote_root = None
        self.proc = None
        self._log = None
        self.log_path = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> "DemoSshd":
        try:
            if self.is_root:
                # sshd's privilege-separation directory
                os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
            pw = pwd.getpwuid(os.geteuid())
            self.username, self.uid, self.gid, self.home = pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir
            self.tmpdir = tempfile.mkdtemp(prefix="ferrosftp-demo-sshd-")
            os.chmod(self.tmpdir, 0o755)  # sshd reads authorized_keys as the login user
            self.host_key = os.path.join(self.tmpdir, "ssh_host_ed25519_key")
            self._keygen(self.host_key)
            self.key_path = os.path.join(self.tmpdir, "id_ed25519")
            self._keygen(self.key_path)
            self.authorized_keys = os.path.join(self.tmpdir, "authorized_keys")
            shutil.copyfile(self.key_path + ".pub", self.authorized_keys)
            os.chmod(self.authorized_keys, 0o644)
            self.remote_root = os.path.join(self.tmpdir, "remote")
            os.makedirs(self.remote_root, mode=0o700)
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _keygen(self, path):
        _run([self.keygen, "-q", "-t", "ed25519", "-N", "", "-C", "ferrosftp-demo", "-f", path])
        os.chmod(path, 0o600)

    def _config(self) -> str:
        lines = [
            "ListenAddress %s" % self.host,
            "Port %d" % self.port,
            "HostKey %s" % self.host_key,
            "PidFile %s" % os.path.join(self.tmpdir, "sshd.pid"),
            "AuthorizedKeysFile %s" % self.authorized_keys,
            "StrictModes no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin prohibit-password",
            "MaxStartups 100:30:200",
            "MaxSessions 50",
            "Subsystem sftp internal-sftp",
            "UseDNS no",
            "PrintMotd no",
            "LogLevel INFO",
        ]
        ver = _sshd_version(self.sshd)
        if ver and ver >= (9, 8):
            lines.append("PerSourcePenalties no")
        return "\n".join(lines) + "\n"

    def _launch(self):
        config = os.path.join(self.tmpdir, "sshd_config")
        log_path = self.log_path = os.path.join(self.tmpdir, "sshd.log")
        last = None
        for _attempt in range(5):
            self.port = _free_port()
            with open(config, "w") as f:
                f.write(self._config())
            _run([self.sshd, "-t", "-f", config])
            self.known_hosts_path = os.path.join(self.tmpdir, "known_hosts")
            with open(self.host_key + ".pub") as f:
                pub = " ".join(f.read().split()[:2])
            with open(self.known_hosts_path, "w") as f:
                f.write("[%s]:%d %s\n" % (self.host, self.port, pub))
            if self._log is not None:
                self._log.close()
            self._log = open(log_path, "ab")
            self.proc = subprocess.Popen([self.sshd, "-D", "-e", "-f", config], stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT,
                                         start_new_session=True, close_fds=True)
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection((self.host, self.port), timeout=2) as s:
                        s.settimeout(2)
                        if s.recv(8).startswith(b"SSH-"):
                            return
                except OSError:
                    pass
                time.sleep(0.05)
            with open(log_path, "r", errors="replace") as f:
                last = f.read()[-2000:]
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None
            if "Address already in use" not in last:
                break
        raise SshdError("sshd did not start:\n" + (last or "(no log)"))

    def log_tail(self, limit: int = 2000) -> str:
        """The end of sshd's log (gone after :meth:`stop`)."""
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()[-limit:]
        except (OSError, TypeError):
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            kids = _children_of(proc.pid)
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            for pid in kids + _children_of(proc.pid):
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
        if self._log is not None:
            self._log.close()
            self._log = None
        self.remote_root = None
        tmp, self.tmpdir = self.tmpdir, None
        rmtree(tmp)


def _children_of(pid):
    kids = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return kids
    for e in entries:
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e) as f:
                data = f.read()
            if int(data.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(e))
        except (OSError, ValueError, IndexError):
            continue
    return kids
