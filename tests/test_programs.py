"""Real programs built on paramiko, run unchanged through
``ferrosftp.install_as_paramiko()`` against the loopback sshd: Fabric 3,
sshtunnel, scp.py, smart_open and fsspec's SFTPFileSystem (versions pinned in
tests/programs-requirements.txt; .ci/run installs them without paramiko into
FERROSFTP_PROGRAMS_PATH). Each scenario runs in a fresh interpreter whose
``import paramiko`` can only be ferrosftp."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from client_helpers import programs_path

pytestmark = pytest.mark.timeout(180)

PRELUDE = """
import json, os, sys
import ferrosftp
ferrosftp.install_as_paramiko()
sys.path.insert(0, os.environ["FERROSFTP_PROGRAMS_PATH"])
import paramiko
assert paramiko is ferrosftp, "paramiko is not ferrosftp"
HOST, PORT, USER, KEY, DIR = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
"""


@pytest.fixture(scope="module")
def programs():
    where = programs_path()
    assert not os.path.exists(os.path.join(where, "paramiko")), "real paramiko must not be there"
    return where


def run(programs, sshd, remote_dir, body, tmp_path, timeout=150):
    """Run PRELUDE + body; the body prints one JSON line, returned decoded."""
    script = tmp_path / "scenario.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    env = dict(os.environ, FERROSFTP_PROGRAMS_PATH=programs, HOME=str(tmp_path))
    env.pop("SSH_AUTH_SOCK", None)
    p = subprocess.run(
        [sys.executable, str(script), sshd.host, str(sshd.port), sshd.username, sshd.keys["ed25519"], remote_dir],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(tmp_path),
    )
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_scp_py(programs, sshd, remote_dir, tmp_path):
    out = run(
        programs,
        sshd,
        remote_dir,
        """
        import io, hashlib
        import scp
        c = paramiko.SSHClient()
        c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        c.connect(HOST, port=PORT, username=USER, key_filename=KEY, look_for_keys=False, allow_agent=False)
        data = os.urandom(3_000_000)
        open("src.bin", "wb").write(data)
        os.makedirs("tree/sub")
        open("tree/sub/x.txt", "w").write("x")
        sent = []
        with scp.SCPClient(c.get_transport(), progress=lambda f, size, done: sent.append(done)) as s:
            s.put("src.bin", DIR + "/a.bin")
            s.get(DIR + "/a.bin", "back.bin")
            s.put("tree", DIR + "/tree", recursive=True)
            s.get(DIR + "/tree", "tree_back", recursive=True)
            s.putfo(io.BytesIO(b"hello"), DIR + "/fo.txt")
            try:
                s.get(DIR + "/missing", "nope")
                missing = None
            except scp.SCPException as e:
                missing = str(e)
        print(json.dumps({"same": open("back.bin", "rb").read() == data, "progress": len(sent) > 2,
                          "tree": open("tree_back/sub/x.txt").read(), "fo": open(DIR + "/fo.txt").read(),
                          "missing": missing}))
    """,
        tmp_path,
    )
    assert out["same"] and out["progress"]
    assert out["tree"] == "x" and out["fo"] == "hello"
    assert "No such file" in out["missing"]


def test_sshtunnel(programs, sshd, remote_dir, tmp_path):
    out = run(
        programs,
        sshd,
        remote_dir,
        """
        import socket
        import sshtunnel
        with sshtunnel.SSHTunnelForwarder((HOST, PORT), ssh_username=USER, ssh_pkey=KEY,
                                          ssh_config_file=None, allow_agent=False,
                                          remote_bind_address=("127.0.0.1", PORT)) as tunnel:
            banners = []
            for _ in range(3):  # the sshd's own banner, through the tunnel
                with socket.create_connection(("127.0.0.1", tunnel.local_bind_port), timeout=10) as s:
                    banners.append(s.recv(64).decode().strip())
            active = tunnel.is_active
        print(json.dumps({"banners": banners, "active": active}))
    """,
        tmp_path,
    )
    assert all(b.startswith("SSH-2.0-OpenSSH") for b in out["banners"]), out
    assert out["active"]


FABRIC = """
    import io, socket, threading
    from fabric import Config, Connection
    from invoke import Responder
    def connect(**kw):
        return Connection(HOST, port=PORT, user=USER,
                          connect_kwargs={"key_filename": KEY, "look_for_keys": False, "allow_agent": False},
                          **kw)
"""


def test_fabric_run_stdin_watchers_pty(programs, sshd, remote_dir, tmp_path):
    out = run(
        programs,
        sshd,
        remote_dir,
        FABRIC
        + """
    c = connect()
    plain = c.run("echo hi; echo err >&2", hide=True)
    fed = c.run("cat", in_stream=io.StringIO("line one\\nline two\\n"), hide=True)
    # in_stream=False: this process's stdin (at EOF) must not close the command's
    answered = c.run("printf 'Name? '; read n; echo hello $n", hide=True, in_stream=False,
                     watchers=[Responder(pattern=r"Name\\? ", response="ferro\\n")])
    tty = c.run("tty", pty=True, hide=True)
    failed = c.run("exit 3", warn=True, hide=True)
    c.close()
    print(json.dumps({"out": plain.stdout, "err": plain.stderr, "fed": fed.stdout,
                      "answered": answered.stdout, "tty": tty.stdout, "code": failed.exited}))
    """,
        tmp_path,
    )
    assert out["out"] == "hi\n" and out["err"] == "err\n"
    assert out["fed"] == "line one\nline two\n"
    assert out["answered"].endswith("hello ferro\n")
    assert out["tty"].startswith("/dev/pts/")
    assert out["code"] == 3


def test_fabric_put_get_and_forwarding(programs, sshd, remote_dir, tmp_path):
    out = run(
        programs,
        sshd,
        remote_dir,
        FABRIC
        + """
    c = connect()
    data = os.urandom(2_000_000)
    open("up.bin", "wb").write(data)
    c.put("up.bin", remote=DIR + "/up.bin")
    c.get(DIR + "/up.bin", local="down.bin")
    # forward_local: a local port to the sshd itself, read its banner
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        lport = probe.getsockname()[1]
    def dial(port):  # Fabric's tunnel threads start listening a moment after `with`
        for _ in range(100):
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=10)
            except ConnectionRefusedError:
                threading.Event().wait(0.05)
        raise ConnectionRefusedError(port)
    with c.forward_local(local_port=lport, remote_port=PORT, remote_host="127.0.0.1"):
        with dial(lport) as s:
            local_banner = s.recv(64).decode()
    # forward_remote: the server listens, a local echo service answers
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(1)
    def serve():
        conn, _ = echo.accept()
        conn.sendall(conn.recv(100).upper())
        conn.close()
    threading.Thread(target=serve, daemon=True).start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        rport = probe.getsockname()[1]
    with c.forward_remote(remote_port=rport, local_port=echo.getsockname()[1]):
        with dial(rport) as s:
            s.sendall(b"shout")
            remote_reply = s.recv(100).decode()
    c.close()
    print(json.dumps({"same": open("down.bin", "rb").read() == data, "local": local_banner,
                      "remote": remote_reply}))
    """,
        tmp_path,
    )
    assert out["same"]
    assert out["local"].startswith("SSH-2.0-OpenSSH")
    assert out["remote"] == "SHOUT"


def test_fabric_ssh_config_alias(programs, sshd, remote_dir, tmp_path):
    cfg = tmp_path / "ssh_config"
    cfg.write_text(
        "Host myalias\n    HostName %s\n    Port %d\n    User %s\n    IdentityFile %s\n"
        % (sshd.host, sshd.port, sshd.username, sshd.keys["ed25519"])
    )
    out = run(
        programs,
        sshd,
        remote_dir,
        FABRIC
        + """
    config = Config(runtime_ssh_path=os.path.join(os.getcwd(), "ssh_config"))
    c = Connection("myalias", config=config, connect_kwargs={"look_for_keys": False, "allow_agent": False})
    r = c.run("whoami", hide=True)
    print(json.dumps({"user": r.stdout.strip(), "port": c.port, "host": c.host}))
    """,
        tmp_path,
    )
    assert out == {"user": sshd.username, "port": sshd.port, "host": sshd.host}


def test_smart_open_sftp_and_scp_urls(programs, sshd, remote_dir, tmp_path):
    out = run(
        programs,
        sshd,
        remote_dir,
        """
        import smart_open
        params = {"connect_kwargs": {"key_filename": KEY, "look_for_keys": False, "allow_agent": False}}
        got = {}
        for scheme in ("sftp", "scp"):
            url = "%s://%s@%s:%d%s/%s.txt" % (scheme, USER, HOST, PORT, DIR, scheme)
            with smart_open.open(url, "w", transport_params=params) as f:
                f.write("written through " + scheme)
            with smart_open.open(url, "r", transport_params=params) as f:
                got[scheme] = f.read()
        print(json.dumps(got))
    """,
        tmp_path,
    )
    assert out == {"sftp": "written through sftp", "scp": "written through scp"}


def test_fsspec_sftp_filesystem(programs, sshd, remote_dir, tmp_path):
    out = run(
        programs,
        sshd,
        remote_dir,
        """
        import fsspec
        fs = fsspec.filesystem("sftp", host=HOST, port=PORT, username=USER, key_filename=KEY,
                               look_for_keys=False, allow_agent=False)
        with fs.open(DIR + "/x.csv", "wb") as f:
            f.write(b"a,b\\n1,2\\n")
        data = os.urandom(5_000_000)
        open("big.bin", "wb").write(data)
        fs.put("big.bin", DIR + "/big.bin")
        fs.get(DIR + "/big.bin", "back.bin")
        fs.makedirs(DIR + "/d/e", exist_ok=True)
        listing = sorted(os.path.basename(p) for p in fs.ls(DIR, detail=False))
        info = fs.info(DIR + "/x.csv")
        fs.rm(DIR + "/x.csv")
        print(json.dumps({"cat": fs.cat(DIR + "/big.bin") == data, "same": open("back.bin", "rb").read() == data,
                          "ls": listing, "size": info["size"], "type": info["type"],
                          "gone": not fs.exists(DIR + "/x.csv")}))
    """,
        tmp_path,
    )
    assert out == {"cat": True, "same": True, "ls": ["big.bin", "d", "x.csv"], "size": 8, "type": "file", "gone": True}
