"""Progress bars: drawn on a terminal, absent otherwise.

The CLI runs under a pseudo-terminal (the standard library's ``pty``), with a
~50 MB upload so the bar has something to show."""

import os
import re
import select
import subprocess
import sys
import time

import pytest

SIZE = 50 * 1024 * 1024


def _opts(sshd):
    return ["-i", sshd.keys["ed25519"], "-P", str(sshd.port), "--known-hosts", sshd.known_hosts_path]


def _env():
    e = dict(os.environ)
    e.pop("SSH_AUTH_SOCK", None)
    e.pop("FERROSFTP_PROGRESS", None)
    e["COLUMNS"] = "100"
    e["TERM"] = "xterm"
    return e


def run_in_pty(args, timeout=180):
    """Run with stdin/stdout/stderr on a pty; returns (exit code, bytes seen)."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=_env(), close_fds=True, start_new_session=True
        )
    finally:
        os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("timed out; output so far: %r" % b"".join(chunks)[-2000:])
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child side closed
                    data = b""
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                # drain what is left
                while select.select([master], [], [], 0.1)[0]:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        data = b""
                    if not data:
                        break
                    chunks.append(data)
                break
    finally:
        os.close(master)
    return proc.wait(timeout=30), b"".join(chunks)


@pytest.fixture
def big_file(tmp_path):
    p = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with open(p, "wb") as f:
        for _ in range(SIZE >> 20):
            f.write(block)
    return p


def test_progress_bar_on_a_terminal(sshd, remote_dir, big_file):
    target = "%s@%s:%s/big.bin" % (sshd.username, sshd.host, remote_dir)
    rc, out = run_in_pty([sys.executable, "-m", "ferrosftp", "put", *_opts(sshd), str(big_file), target])
    text = out.decode("utf-8", "replace")
    assert rc == 0, text
    assert os.path.getsize(os.path.join(remote_dir, "big.bin")) == SIZE
    assert "\r" in text
    assert "100%" in text
    assert re.search(r"\d+(\.\d)? [KMG]iB/s", text), text  # a rate
    assert "big.bin" in text  # one line per file, labelled
    assert "50.0 MiB" in text
    assert "Traceback" not in text


def test_aggregate_bar_for_a_tree(sshd, remote_dir, tmp_path):
    src = tmp_path / "tree"
    for i in range(12):
        d = src / ("d%d" % (i % 3))
        d.mkdir(parents=True, exist_ok=True)
        (d / ("f%d.bin" % i)).write_bytes(os.urandom(300_000))
    target = "%s@%s:%s" % (sshd.username, sshd.host, remote_dir)
    rc, out = run_in_pty([sys.executable, "-m", "ferrosftp", "put", "-r", *_opts(sshd), str(src), target])
    text = out.decode("utf-8", "replace")
    assert rc == 0, text
    assert "12/12 files" in text and "100%" in text and "\r" in text


def test_quiet_flag_suppresses_the_bar_on_a_terminal(sshd, remote_dir, big_file):
    target = "%s@%s:%s/q.bin" % (sshd.username, sshd.host, remote_dir)
    rc, out = run_in_pty([sys.executable, "-m", "ferrosftp", "put", "-q", *_opts(sshd), str(big_file), target])
    assert rc == 0, out
    assert b"%" not in out and b"\r" not in out.replace(b"\r\n", b"")


def test_no_progress_without_a_terminal(sshd, remote_dir, big_file, tmp_path):
    target = "%s@%s:%s/big.bin" % (sshd.username, sshd.host, remote_dir)
    p = subprocess.run(
        [sys.executable, "-m", "ferrosftp", "put", *_opts(sshd), str(big_file), target],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        timeout=180,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"" and p.stderr == b""
    p = subprocess.run(
        [sys.executable, "-m", "ferrosftp", "get", *_opts(sshd), target, str(tmp_path / "back.bin")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        timeout=180,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"" and p.stderr == b""
    assert os.path.getsize(str(tmp_path / "back.bin")) == SIZE


@pytest.mark.timeout(120)
def test_ctrl_c_message_gets_its_own_line(sshd, remote_dir, big_file, fault_proxy, tmp_path):
    """Interrupted mid-transfer: "interrupted" is not written after the bar."""
    import shutil
    import signal

    slow = fault_proxy(bandwidth=4 * 1024 * 1024)  # ~12 s for the file: time to interrupt
    known = tmp_path / "known_hosts"  # the proxy's port is a new [host]:port entry
    shutil.copy(sshd.known_hosts_path, known)
    target = "%s@%s:%s/big.bin" % (sshd.username, sshd.host, remote_dir)
    args = [
        sys.executable,
        "-m",
        "ferrosftp",
        "put",
        "-i",
        sshd.keys["ed25519"],
        "-P",
        str(slow.port),
        "--known-hosts",
        str(known),
        "--accept-new-host-key",
        str(big_file),
        target,
    ]
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=_env(), close_fds=True, start_new_session=True
        )
    finally:
        os.close(slave)
    out = b""
    sent = False
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if not data:
                    break
                out += data
            if not sent and b"%" in out:
                os.killpg(proc.pid, signal.SIGINT)
                sent = True
            if sent and proc.poll() is not None and not r:
                break
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert sent, out
    assert proc.wait(timeout=30) == 130, out
    text = out.decode("utf-8", "replace")
    line = [seg for seg in re.split(r"[\r\n]", text) if "interrupted" in seg]
    assert line == ["ferrosftp: interrupted"], repr(text[-400:])
