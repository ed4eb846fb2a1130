"""exec_command and Channel against the real sshd (issue #2): bytes vs str,
exit codes, stdin/EOF, environment, pty, timeouts, large output, and the
Channel methods scripts use directly (reference/api.md 2.1, 2.4)."""

import os
import secrets
import socket
import time

import pytest

import ferrosftp as paramiko
from ferrosftp import SSHException


def _drain(chan, stream="stdout", deadline=30):
    out = []
    end = time.monotonic() + deadline
    recv = chan.recv if stream == "stdout" else chan.recv_stderr
    while time.monotonic() < end:
        data = recv(65536)
        if not data:
            return b"".join(out)
        out.append(data)
    raise AssertionError("stream did not end")


# --------------------------------------------------------------------------
# exec_command: the files it returns


def test_exec_returns_three_files(client):
    stdin, stdout, stderr = client.exec_command("echo hi")
    assert isinstance(stdin, paramiko.ChannelStdinFile)
    assert isinstance(stdout, paramiko.ChannelFile)
    assert isinstance(stderr, paramiko.ChannelStderrFile)
    assert stdout.channel is stderr.channel is stdin.channel
    assert isinstance(stdout.channel, paramiko.Channel)
    assert stdout.read() == b"hi\n"


def test_read_is_bytes(client):
    _, stdout, stderr = client.exec_command("printf 'a\\nb\\n'; printf 'oops\\n' >&2")
    out = stdout.read()
    err = stderr.read()
    assert out == b"a\nb\n"
    assert err == b"oops\n"
    assert isinstance(out, bytes) and isinstance(err, bytes)


def test_readlines_and_iteration_are_str(client):
    _, stdout, _ = client.exec_command("printf 'one\\ntwo\\nthree'")
    assert stdout.readlines() == ["one\n", "two\n", "three"]
    _, stdout, _ = client.exec_command("printf 'x\\ny\\n'")
    lines = [line for line in stdout]
    assert lines == ["x\n", "y\n"]
    assert all(isinstance(line, str) for line in lines)


def test_readline_str_and_utf8(client):
    _, stdout, _ = client.exec_command("printf 'caf\\303\\251\\nend\\n'")
    assert stdout.readline() == "café\n"
    assert stdout.readline() == "end\n"
    assert stdout.readline() == ""


def test_stderr_readlines(client):
    _, _, stderr = client.exec_command("echo e1 >&2; echo e2 >&2")
    assert stderr.readlines() == ["e1\n", "e2\n"]


def test_makefile_binary_mode(client):
    chan = client.get_transport().open_session()
    chan.exec_command("printf 'l1\\nl2\\n'")
    f = chan.makefile("rb")
    assert f.readline() == b"l1\n"
    assert f.readlines() == [b"l2\n"]
    chan.close()


@pytest.mark.parametrize("code", [0, 1, 3, 42, 255])
def test_exit_status(client, code):
    _, stdout, _ = client.exec_command("exit %d" % code)
    assert stdout.channel.recv_exit_status() == code
    assert stdout.channel.exit_status_ready()


def test_exit_status_after_reading(client):
    _, stdout, _ = client.exec_command("echo done; exit 7")
    assert stdout.read() == b"done\n"
    assert stdout.channel.recv_exit_status() == 7


def test_exit_status_before_reading_small_output(client):
    # output that fits in the channel window is still readable after the status
    _, stdout, stderr = client.exec_command("head -c 100000 /dev/zero; echo err >&2; exit 2")
    assert stdout.channel.recv_exit_status() == 2
    assert len(stdout.read()) == 100000
    assert stderr.read() == b"err\n"


def test_exit_status_after_channel_close(client):
    chan = client.get_transport().open_session()
    chan.exec_command("exit 9")
    deadline = time.monotonic() + 10
    while not chan.exit_status_ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    chan.close()
    assert chan.closed and not chan.active
    assert chan.exit_status_ready()
    assert chan.recv_exit_status() == 9


def test_exit_status_ready_transitions(client):
    _, stdout, _ = client.exec_command("sleep 1; echo late")
    assert stdout.channel.exit_status_ready() is False
    assert stdout.read() == b"late\n"
    assert stdout.channel.recv_exit_status() == 0
    assert stdout.channel.exit_status_ready() is True


def test_exit_status_killed_by_signal(client):
    _, stdout, _ = client.exec_command("kill -9 $$")
    status = stdout.channel.recv_exit_status()
    # the server sends exit-signal, not exit-status: paramiko reports -1
    assert status == -1


def test_stdin_write_close_sends_eof(client):
    stdin, stdout, _ = client.exec_command("cat")
    stdin.write("hello ")
    stdin.write(b"world\n")
    stdin.write(memoryview(b"bytes too\n"))
    stdin.close()
    assert stdout.read() == b"hello world\nbytes too\n"
    assert stdout.channel.recv_exit_status() == 0


def test_stdin_shutdown_write(client):
    stdin, stdout, _ = client.exec_command("wc -c")
    stdin.write(b"x" * 100000)
    stdin.flush()
    stdin.channel.shutdown_write()
    assert stdout.read().strip() == b"100000"


def test_stdin_large_roundtrip(client):
    data = secrets.token_bytes(3 * 1024 * 1024 + 17)
    stdin, stdout, _ = client.exec_command("sha256sum")
    stdin.write(data)
    stdin.close()
    import hashlib

    assert stdout.read().split()[0].decode() == hashlib.sha256(data).hexdigest()


def test_environment(client):
    _, stdout, _ = client.exec_command(
        'echo "$FERRO_A|$FERRO_B"', environment={"FERRO_A": "one", "FERRO_B": "two words"}
    )
    assert stdout.read() == b"one|two words\n"


def test_update_environment_on_channel(client):
    chan = client.get_transport().open_session()
    chan.update_environment({"FERRO_X": "xval"})
    chan.set_environment_variable("FERRO_Y", "yval")
    chan.exec_command("echo $FERRO_X $FERRO_Y")
    assert _drain(chan) == b"xval yval\n"
    chan.close()


def test_environment_refused_variable(client):
    # sshd only accepts FERRO_*: paramiko raises SSHException when the server refuses
    with pytest.raises(SSHException):
        client.exec_command("echo $NOT_ACCEPTED", environment={"NOT_ACCEPTED": "1"})
    # the client is still usable
    _, stdout, _ = client.exec_command("echo ok")
    assert stdout.read() == b"ok\n"


def test_get_pty(client):
    _, stdout, _ = client.exec_command("tty", get_pty=True)
    out = stdout.read()
    assert out.startswith(b"/dev/"), out
    _, stdout, _ = client.exec_command("tty")
    assert b"not a tty" in stdout.read()


def test_pty_merges_stderr_and_crlf(client):
    _, stdout, stderr = client.exec_command("echo out; echo err >&2", get_pty=True)
    out = stdout.read()
    assert b"out\r\n" in out and b"err\r\n" in out
    assert stderr.read() == b""


def test_command_str_and_bytes(client):
    _, stdout, _ = client.exec_command(b"echo bytes-cmd")
    assert stdout.read() == b"bytes-cmd\n"
    _, stdout, _ = client.exec_command("echo 'unicodé'")
    assert stdout.read() == "unicodé\n".encode()


def test_timeout_on_read(client):
    _, stdout, _ = client.exec_command("sleep 10", timeout=1)
    assert stdout.channel.gettimeout() == 1
    start = time.monotonic()
    with pytest.raises(socket.timeout):
        stdout.read()
    assert time.monotonic() - start < 1 * 1.5 + 2


def test_timeout_on_readline(client):
    _, stdout, _ = client.exec_command("echo first; sleep 10", timeout=1)
    assert stdout.readline() == "first\n"
    start = time.monotonic()
    with pytest.raises(socket.timeout):
        stdout.readline()
    assert time.monotonic() - start < 1 * 1.5 + 2


def test_timeout_does_not_break_client(client):
    _, stdout, _ = client.exec_command("sleep 5", timeout=0.5)
    with pytest.raises(socket.timeout):
        stdout.read()
    stdout.channel.close()
    _, stdout, _ = client.exec_command("echo still-alive")
    assert stdout.read() == b"still-alive\n"


def test_large_output_read_fully(client, sshd, remote_dir):
    data = secrets.token_bytes(5 * 1024 * 1024)
    path = os.path.join(remote_dir, "big.bin")
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    _, stdout, _ = client.exec_command("cat %s" % path)
    out = stdout.read()
    assert len(out) == len(data)
    assert out == data
    assert stdout.channel.recv_exit_status() == 0


def test_large_stdout_and_stderr_interleaved(client):
    # 2 MB on each stream: reading stdout first must not deadlock on stderr's window
    cmd = "head -c 2000000 /dev/zero; head -c 2000000 /dev/zero >&2"
    _, stdout, stderr = client.exec_command(cmd)
    assert len(stdout.read()) == 2000000
    assert len(stderr.read()) == 2000000


def test_many_commands_one_client(client):
    for i in range(30):
        _, stdout, _ = client.exec_command("echo %d" % i)
        assert stdout.read() == b"%d\n" % i


def test_exec_runs_in_home_not_sftp_cwd(client, sftp, sshd, remote_dir):
    sftp.chdir(remote_dir)
    _, stdout, _ = client.exec_command("pwd")
    assert stdout.read().decode().strip() == sshd.home


# --------------------------------------------------------------------------
# Channel used directly (open_session)


def test_channel_recv_and_exit(client):
    chan = client.get_transport().open_session()
    assert isinstance(chan.get_id(), int)
    assert chan.get_transport() is client.get_transport()
    chan.exec_command("printf abc; printf xyz >&2; exit 5")
    assert _drain(chan) == b"abc"
    assert _drain(chan, "stderr") == b"xyz"
    assert chan.recv_exit_status() == 5
    assert chan.exit_status_ready()
    assert chan.recv(10) == b""
    chan.close()
    assert chan.closed
    chan.close()  # double close is fine


def test_channel_recv_ready(client):
    chan = client.get_transport().open_session()
    chan.exec_command("sleep 0.5; echo go")
    assert chan.recv_ready() is False
    deadline = time.monotonic() + 10
    while not chan.recv_ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chan.recv_ready()
    assert chan.recv(100) == b"go\n"
    chan.close()


def test_channel_recv_stderr_ready(client):
    chan = client.get_transport().open_session()
    chan.exec_command("echo err >&2; sleep 0.3")
    deadline = time.monotonic() + 10
    while not chan.recv_stderr_ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chan.recv_stderr(100) == b"err\n"
    chan.close()


def test_channel_send_sendall(client):
    chan = client.get_transport().open_session()
    chan.exec_command("cat")
    assert chan.send_ready()
    n = chan.send(b"abc")
    assert n == 3
    chan.sendall(b"defgh")
    chan.shutdown_write()
    assert _drain(chan) == b"abcdefgh"
    assert chan.recv_exit_status() == 0
    chan.close()


def test_channel_settimeout_recv(client):
    chan = client.get_transport().open_session()
    chan.settimeout(0.5)
    assert chan.gettimeout() == 0.5
    chan.exec_command("sleep 5")
    start = time.monotonic()
    with pytest.raises(socket.timeout) as ei:
        chan.recv(10)
    assert ei.value.args == ()  # paramiko: bare socket.timeout()
    assert time.monotonic() - start < 0.5 * 1.5 + 2
    chan.close()


def test_channel_setblocking_false(client):
    chan = client.get_transport().open_session()
    chan.exec_command("sleep 3")
    chan.setblocking(False)
    assert chan.gettimeout() == 0.0
    start = time.monotonic()
    with pytest.raises(socket.timeout):
        chan.recv(10)
    assert time.monotonic() - start < 2
    chan.setblocking(True)
    assert chan.gettimeout() is None
    chan.close()


def test_channel_combine_stderr(client):
    chan = client.get_transport().open_session()
    assert chan.set_combine_stderr(True) is False
    chan.exec_command("echo out; echo err >&2")
    out = _drain(chan)
    assert b"out\n" in out and b"err\n" in out
    chan.close()


def test_channel_invoke_shell(client):
    chan = client.invoke_shell()
    chan.settimeout(10)
    chan.send(b"echo marker-$((40+2))\nexit\n")
    data = b""
    deadline = time.monotonic() + 15
    while b"marker-42" not in data and time.monotonic() < deadline:
        chunk = chan.recv(4096)
        if not chunk:
            break
        data += chunk
    assert b"marker-42" in data
    chan.close()


def test_channel_invoke_subsystem_sftp(client):
    # The raw SFTP subsystem answers an INIT with a VERSION packet
    import struct

    chan = client.get_transport().open_session()
    chan.settimeout(10)
    chan.invoke_subsystem("sftp")
    chan.sendall(struct.pack(">IBI", 5, 1, 3))  # SSH_FXP_INIT version 3
    head = b""
    while len(head) < 5:
        chunk = chan.recv(5 - len(head))
        assert chunk
        head += chunk
    length, kind = struct.unpack(">IB", head)
    assert kind == 2  # SSH_FXP_VERSION
    assert length >= 5
    chan.close()


def test_channel_name(client):
    chan = client.get_transport().open_session()
    chan.set_name("worker")
    assert chan.get_name() == "worker"
    chan.close()


def test_channel_context_manager(client):
    with client.get_transport().open_session() as chan:
        chan.exec_command("true")
    assert chan.closed


def test_channel_getpeername(client, sshd):
    chan = client.get_transport().open_session()
    assert chan.getpeername()[1] == sshd.port
    chan.close()


def test_send_after_close(client):
    chan = client.get_transport().open_session()
    chan.exec_command("cat")
    chan.close()
    assert chan.send(b"x") == 0
    with pytest.raises(OSError):
        chan.sendall(b"x")


def test_transport_closed_under_open_channel(sshd):
    from client_helpers import connect_client as _connect_client

    c = _connect_client(sshd)
    _, stdout, _ = c.exec_command("sleep 5")
    c.close()
    start = time.monotonic()
    with pytest.raises((SSHException, OSError, EOFError)):
        data = stdout.read()
        # a closed transport may also surface as EOF; it must never hang
        if data == b"":
            raise EOFError("closed")
    assert time.monotonic() - start < 5


def test_recv_zero_bytes_consumes_nothing(client):
    chan = client.get_transport().open_session()
    chan.exec_command("echo abc; echo def >&2")
    assert chan.recv(0) == b""
    assert chan.recv_stderr(0) == b""
    assert _drain(chan) == b"abc\n"
    assert _drain(chan, "stderr") == b"def\n"
    chan.close()


def test_exec_sends_command_bytes_unchanged(client):
    """paramiko sends a bytes command as is: not valid UTF-8 included."""
    stdin, stdout, stderr = client.exec_command(b"printf '\\xe9'; echo -n caf\xe9", timeout=30)
    assert stdout.read() == b"\xe9caf\xe9"
    assert stdout.channel.recv_exit_status() == 0
