"""The command-line tool, run as a subprocess (``python -m ferrosftp``) against
the real sshd fixture.  The server is local, so remote effects are checked on
the file system directly."""

import os
import subprocess
import sys

import pytest

from sshd_server import SshdServer

EXIT_USAGE, EXIT_CONNECT, EXIT_AUTH, EXIT_HOSTKEY, EXIT_NOTFOUND, EXIT_CONFLICT = 2, 3, 4, 5, 6, 7


def run_cli(*args, input=None, env=None, timeout=180, cwd=None):
    e = dict(os.environ)
    e.pop("SSH_AUTH_SOCK", None)  # no agent: only the keys we name
    e.pop("FERROSFTP_DEBUG", None)
    if env:
        e.update(env)
    p = subprocess.run(
        [sys.executable, "-m", "ferrosftp", *map(str, args)],
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
        env=e,
        cwd=cwd,
    )
    p.out = p.stdout.decode("utf-8", "replace")
    p.err = p.stderr.decode("utf-8", "replace")
    assert "Traceback" not in p.err, p.err
    return p


def opts(sshd, key="ed25519"):
    return ["-i", sshd.keys[key], "-P", sshd.port, "--known-hosts", sshd.known_hosts_path]


def tgt(sshd, path):
    return "%s@%s:%s" % (sshd.username, sshd.host, path)


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _tree(root):
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = _read(p)
    return out


# ------------------------------------------------------------------- basics


def test_help_documents_exit_codes():
    p = run_cli("--help")
    assert p.returncode == 0
    for code in ("2", "3", "4", "5", "6"):
        assert "\n  %s " % code in p.out
    p = run_cli("put", "--help")
    assert p.returncode == 0 and "--accept-new-host-key" in p.out and "exit codes" in p.out


def test_usage_errors_exit_2():
    p = run_cli()
    assert p.returncode == EXIT_USAGE
    p = run_cli("frobnicate")
    assert p.returncode == EXIT_USAGE and p.err.startswith("ferrosftp: ")
    p = run_cli("put", "only-one-arg")
    assert p.returncode == EXIT_USAGE
    p = run_cli("get", "-P", "notaport", "h:x")
    assert p.returncode == EXIT_USAGE
    p = run_cli("get", "-i", "/no/such/key", "h:x", ".")
    assert p.returncode == EXIT_USAGE and "identity file not found" in p.err
    assert len(p.err.strip().splitlines()) == 1


def test_put_and_get_single_file(sshd, remote_dir, tmp_path):
    data = os.urandom(1_500_000)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    p = run_cli("put", *opts(sshd), src, tgt(sshd, remote_dir + "/up.bin"))
    assert p.returncode == 0, p.err
    assert p.err == ""  # not a terminal: no progress output
    assert _read(os.path.join(remote_dir, "up.bin")) == data
    assert os.listdir(remote_dir) == ["up.bin"]  # no temp left behind

    dst = tmp_path / "down"
    dst.mkdir()
    p = run_cli("get", *opts(sshd), tgt(sshd, remote_dir + "/up.bin"), dst)
    assert p.returncode == 0, p.err
    assert (dst / "up.bin").read_bytes() == data
    p = run_cli("get", *opts(sshd), tgt(sshd, remote_dir + "/up.bin"), dst / "renamed.bin")
    assert p.returncode == 0, p.err
    assert (dst / "renamed.bin").read_bytes() == data
    # overwrite an existing remote file (atomic replace)
    src.write_bytes(b"smaller now")
    p = run_cli("put", *opts(sshd), src, tgt(sshd, remote_dir))  # into the directory
    assert p.returncode == 0, p.err
    assert _read(os.path.join(remote_dir, "up.bin")) == b"smaller now"


def test_put_and_get_recursive(sshd, remote_dir, tmp_path):
    src = tmp_path / "proj"
    files = {
        "a.txt": b"a",
        os.path.join("x", "b.bin"): os.urandom(70_000),
        os.path.join("x", "y", "c.txt"): b"c" * 1000,
        os.path.join("empty_parent", "z", "d"): b"d",
    }
    for rel, data in files.items():
        _write(str(src / rel), data)
    p = run_cli("put", "-r", "--workers", "3", *opts(sshd), src, tgt(sshd, remote_dir))
    assert p.returncode == 0, p.err
    assert _tree(os.path.join(remote_dir, "proj")) == files
    # without -r a directory is refused
    p = run_cli("put", *opts(sshd), src, tgt(sshd, remote_dir))
    assert p.returncode != 0 and "-r" in p.err

    out = tmp_path / "back"
    p = run_cli("get", "-r", *opts(sshd), tgt(sshd, remote_dir + "/proj"), out)
    assert p.returncode == 0, p.err
    assert _tree(str(out)) == files
    # into an existing directory: lands as <dir>/proj
    out2 = tmp_path / "existing"
    out2.mkdir()
    p = run_cli("get", "-r", *opts(sshd), tgt(sshd, remote_dir + "/proj"), out2)
    assert p.returncode == 0, p.err
    assert _tree(str(out2 / "proj")) == files


def test_put_preserve_mtime(sshd, remote_dir, tmp_path):
    src = tmp_path / "old.txt"
    src.write_bytes(b"old")
    os.utime(str(src), (1_000_000_000, 1_000_000_000))
    p = run_cli("put", "-p", *opts(sshd), src, tgt(sshd, remote_dir + "/old.txt"))
    assert p.returncode == 0, p.err
    assert int(os.stat(os.path.join(remote_dir, "old.txt")).st_mtime) == 1_000_000_000


def test_ls_rm_mkdir(sshd, remote_dir):
    _write(os.path.join(remote_dir, "f1.txt"), b"1")
    _write(os.path.join(remote_dir, ".hidden"), b"h")
    _write(os.path.join(remote_dir, "d", "inner.txt"), b"i")
    sshd.chown_to_user(os.path.join(remote_dir, "d"))
    p = run_cli("ls", *opts(sshd), tgt(sshd, remote_dir))
    assert p.returncode == 0, p.err
    assert p.out.splitlines() == ["d", "f1.txt"]
    p = run_cli("ls", "-a", "-l", *opts(sshd), tgt(sshd, remote_dir))
    assert p.returncode == 0
    lines = p.out.splitlines()
    assert len(lines) == 3 and all(line[0] in "-d" for line in lines)
    assert any(line.endswith(".hidden") for line in lines)

    p = run_cli("mkdir", *opts(sshd), tgt(sshd, remote_dir + "/new"))
    assert p.returncode == 0, p.err
    assert os.path.isdir(os.path.join(remote_dir, "new"))
    p = run_cli("mkdir", *opts(sshd), tgt(sshd, remote_dir + "/new"))
    assert p.returncode != 0 and "exists" in p.err
    p = run_cli("mkdir", "-p", *opts(sshd), tgt(sshd, remote_dir + "/new/a/b/c"))
    assert p.returncode == 0, p.err
    assert os.path.isdir(os.path.join(remote_dir, "new", "a", "b", "c"))

    p = run_cli("rm", *opts(sshd), tgt(sshd, remote_dir + "/f1.txt"))
    assert p.returncode == 0, p.err
    assert not os.path.exists(os.path.join(remote_dir, "f1.txt"))
    p = run_cli("rm", *opts(sshd), tgt(sshd, remote_dir + "/f1.txt"))
    assert p.returncode == EXIT_NOTFOUND
    p = run_cli("rm", "-f", *opts(sshd), tgt(sshd, remote_dir + "/f1.txt"))
    assert p.returncode == 0
    p = run_cli("rm", *opts(sshd), tgt(sshd, remote_dir + "/new"))
    assert p.returncode != 0 and "-r" in p.err
    p = run_cli("rm", "-r", *opts(sshd), tgt(sshd, remote_dir + "/new"))
    assert p.returncode == 0, p.err
    assert not os.path.exists(os.path.join(remote_dir, "new"))


def test_exec(sshd):
    p = run_cli("exec", *opts(sshd), "%s@%s" % (sshd.username, sshd.host), "echo out; echo err >&2; exit 7")
    assert p.returncode == 7
    assert p.out == "out\n" and p.err == "err\n"
    p = run_cli("exec", *opts(sshd), "%s@%s" % (sshd.username, sshd.host), "cat", input=b"piped stdin\n")
    assert p.returncode == 0 and p.out == "piped stdin\n"
    big = run_cli("exec", *opts(sshd), "%s@%s" % (sshd.username, sshd.host), "head -c 3000000 /dev/zero")
    assert big.returncode == 0 and len(big.stdout) == 3_000_000


# ------------------------------------------------------------- exit codes


def test_missing_remote_file_exit_6(sshd, remote_dir, tmp_path):
    p = run_cli("get", *opts(sshd), tgt(sshd, remote_dir + "/nope.txt"), tmp_path)
    assert p.returncode == EXIT_NOTFOUND
    assert os.listdir(str(tmp_path)) == []
    assert len(p.err.strip().splitlines()) == 1
    p = run_cli("ls", *opts(sshd), tgt(sshd, remote_dir + "/nope"))
    assert p.returncode == EXIT_NOTFOUND
    p = run_cli("put", *opts(sshd), tmp_path / "no-local-file", tgt(sshd, remote_dir))
    assert p.returncode == EXIT_NOTFOUND


def test_permission_denied_exit_6(sshd, remote_dir, tmp_path):
    if not sshd.is_root:
        pytest.skip("needs a file the login user cannot read")
    secret = os.path.join(remote_dir, "root-only.txt")
    _write(secret, b"secret")
    os.chmod(secret, 0o600)  # owned by root, the login user is ferrotest
    p = run_cli("get", *opts(sshd), tgt(sshd, secret), tmp_path)
    assert p.returncode == EXIT_NOTFOUND
    assert "ermission" in p.err


def test_unknown_host_key_exit_5(sshd, remote_dir, tmp_path):
    empty = tmp_path / "kh"
    empty.write_text("")
    p = run_cli("ls", "-i", sshd.keys["ed25519"], "-P", sshd.port, "--known-hosts", empty, tgt(sshd, remote_dir))
    assert p.returncode == EXIT_HOSTKEY
    assert "host key" in p.err and "--accept-new-host-key" in p.err
    assert empty.read_text() == ""
    # accept-new: connects and records the key; then strict checking passes
    p = run_cli(
        "ls",
        "--accept-new-host-key",
        "-i",
        sshd.keys["ed25519"],
        "-P",
        sshd.port,
        "--known-hosts",
        empty,
        tgt(sshd, remote_dir),
    )
    assert p.returncode == 0, p.err
    assert "[127.0.0.1]:%d" % sshd.port in empty.read_text()
    p = run_cli("ls", "-i", sshd.keys["ed25519"], "-P", sshd.port, "--known-hosts", empty, tgt(sshd, remote_dir))
    assert p.returncode == 0, p.err


def test_changed_host_key_exit_5(sshd, remote_dir, tmp_path):
    kh = tmp_path / "kh"
    with SshdServer() as other:
        kh.write_text("[127.0.0.1]:%d %s\n" % (sshd.port, other.host_public_keys["ed25519"]))
    p = run_cli(
        "ls",
        "--accept-new-host-key",
        "-i",
        sshd.keys["ed25519"],
        "-P",
        sshd.port,
        "--known-hosts",
        kh,
        tgt(sshd, remote_dir),
    )
    assert p.returncode == EXIT_HOSTKEY
    assert "MISMATCH" in p.err


def test_auth_failure_exit_4(sshd, remote_dir, tmp_path):
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    p = run_cli("ls", "-i", stranger, "-P", sshd.port, "--known-hosts", sshd.known_hosts_path, tgt(sshd, remote_dir))
    assert p.returncode == EXIT_AUTH, p.err
    assert "authentication failed" in p.err
    assert "(Authentication failed.)" not in p.err  # said once, with what to check
    assert "-i KEY" in p.err
    # encrypted key without its passphrase (no terminal to ask on)
    p = run_cli("ls", *opts(sshd, "ed25519_enc"), tgt(sshd, remote_dir))
    assert p.returncode == EXIT_AUTH
    assert "passphrase" in p.err
    p = run_cli(
        "ls",
        *opts(sshd, "ed25519_enc"),
        "--passphrase-env",
        "KEYPASS",
        tgt(sshd, remote_dir),
        env={"KEYPASS": sshd.key_passphrase},
    )
    assert p.returncode == 0, p.err


def test_password_auth(sshd, remote_dir):
    if not sshd.password_auth:
        pytest.skip("password auth needs root")
    _write(os.path.join(remote_dir, "pw.txt"), b"x")
    base = ["-P", sshd.port, "--known-hosts", sshd.known_hosts_path, "--password-env", "PW"]
    p = run_cli("ls", *base, tgt(sshd, remote_dir), env={"PW": sshd.password})
    assert p.returncode == 0, p.err
    assert p.out.split() == ["pw.txt"]
    p = run_cli("ls", *base, tgt(sshd, remote_dir), env={"PW": "wrong"})
    assert p.returncode == EXIT_AUTH
    assert sshd.password not in p.err and "wrong" not in p.err
    p = run_cli("ls", *base, tgt(sshd, remote_dir))  # variable not set
    assert p.returncode == EXIT_USAGE


def test_refused_port_and_dns_exit_3(sshd, tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = run_cli(
        "ls",
        "-i",
        sshd.keys["ed25519"],
        "-P",
        port,
        "--known-hosts",
        sshd.known_hosts_path,
        "%s@127.0.0.1:/" % sshd.username,
    )
    assert p.returncode == EXIT_CONNECT
    assert "refused" in p.err
    assert "127.0.0.1:%d" % port in p.err and "-P" in p.err  # a forgotten -P shows
    p = run_cli("ls", "-i", sshd.keys["ed25519"], "--timeout", "5", "nobody@no-such-host.invalid:/")
    assert p.returncode == EXIT_CONNECT
    assert "resolve" in p.err


# ------------------------------------------------------------- ssh config


def test_ssh_config_alias(sshd, remote_dir, tmp_path):
    cfg = tmp_path / "ssh_config"
    cfg.write_text(
        "Host myalias\n"
        "    HostName 127.0.0.1\n"
        "    Port %d\n"
        "    User %s\n"
        "    IdentityFile %s\n"
        "    UserKnownHostsFile %s\n" % (sshd.port, sshd.username, sshd.keys["ecdsa"], sshd.known_hosts_path)
    )
    _write(os.path.join(remote_dir, "via-alias.txt"), b"alias")
    p = run_cli("ls", "-F", cfg, "myalias:" + remote_dir)
    assert p.returncode == 0, p.err
    assert p.out.split() == ["via-alias.txt"]

    cfg2 = tmp_path / "ssh_config_jump"
    cfg2.write_text("Host jumpy\n    HostName 127.0.0.1\n    ProxyJump bastion.example\n")
    p = run_cli("ls", "-F", cfg2, "jumpy:/")
    assert p.returncode == 3  # a connection problem, of the jump host
    assert "bastion.example (jump host)" in p.err


def test_ipv6_bracket_target_parses():
    from ferrosftp.cli import parse_remote

    r = parse_remote("user@[::1]:/tmp/x")
    assert (r.user, r.host, r.path) == ("user", "::1", "/tmp/x")
    r = parse_remote("[fe80::1]:")
    assert (r.user, r.host, r.path) == (None, "fe80::1", ".")
    r = parse_remote("host:rel/path")
    assert (r.user, r.host, r.path) == (None, "host", "rel/path")
    assert parse_remote("./local:with:colons") is None
    assert parse_remote("plainfile") is None
    assert parse_remote("a@b.c:x@y").user == "a"


# ------------------------------------------------------------------- sync


def test_sync_push_status_pull(sshd, remote_dir, tmp_path):
    cache = tmp_path / "cache"
    _write(str(cache / "one.txt"), b"one")
    _write(str(cache / "sub" / "two.txt"), b"two")
    remote = tgt(sshd, remote_dir)
    p = run_cli("sync", "status", cache, remote, *opts(sshd))
    assert p.returncode == 0, p.err
    assert "local-only   one.txt" in p.out and "local-only   sub/two.txt" in p.out
    p = run_cli("sync", "push", cache, remote, *opts(sshd))
    assert p.returncode == 0, p.err
    assert "pushed 2 file(s)" in p.out
    assert _read(os.path.join(remote_dir, "sub", "two.txt")) == b"two"
    p = run_cli("sync", "push", cache, remote, *opts(sshd))
    assert p.returncode == 0 and "nothing to push" in p.out

    # another machine's cache pulls everything
    cache2 = tmp_path / "cache2"
    cache2.mkdir()
    p = run_cli("sync", "pull", cache2, remote, *opts(sshd))
    assert p.returncode == 0, p.err
    assert "pulled 2 file(s)" in p.out
    assert _tree(str(cache2)) == {
        "one.txt": b"one",
        os.path.join("sub", "two.txt"): b"two",
        ".ferrosftp-sync.json": _read(str(cache2 / ".ferrosftp-sync.json")),
    }

    # both sides edit one.txt -> conflict, exit 7, nothing overwritten
    _write(str(cache2 / "one.txt"), b"edited in cache2")
    p = run_cli("sync", "push", cache2, remote, *opts(sshd))
    assert p.returncode == 0, p.err
    _write(str(cache / "one.txt"), b"edited in cache one")
    p = run_cli("sync", "status", cache, remote, *opts(sshd))
    assert "conflict     one.txt" in p.out
    p = run_cli("sync", "push", cache, remote, *opts(sshd))
    assert p.returncode == EXIT_CONFLICT
    assert "one.txt" in p.err and "--force" in p.err
    assert _read(os.path.join(remote_dir, "one.txt")) == b"edited in cache2"
    p = run_cli("sync", "pull", cache, remote, *opts(sshd))
    assert p.returncode == EXIT_CONFLICT
    p = run_cli("sync", "push", "--force", cache, remote, *opts(sshd))
    assert p.returncode == 0, p.err
    assert _read(os.path.join(remote_dir, "one.txt")) == b"edited in cache one"


def test_sync_connection_errors_keep_their_exit_codes(sshd, remote_dir, tmp_path):
    cache = tmp_path / "c"
    cache.mkdir()
    empty = tmp_path / "kh"
    empty.write_text("")
    p = run_cli(
        "sync",
        "status",
        cache,
        tgt(sshd, remote_dir),
        "-i",
        sshd.keys["ed25519"],
        "-P",
        sshd.port,
        "--known-hosts",
        empty,
    )
    assert p.returncode == EXIT_HOSTKEY, p.err
    p = run_cli("sync", "pull", cache, tgt(sshd, remote_dir), *opts(sshd, "ed25519_enc"))
    assert p.returncode == EXIT_AUTH, p.err


def test_ssh_config_tokens_are_expanded():
    from ferrosftp.host_config import HostConfig, expand_tokens

    cfg = HostConfig(hostname="h.example", port=2222, user="bob")
    assert expand_tokens("%d/.ssh/id_%r@%h:%p", cfg, "alias") == os.path.expanduser("~") + "/.ssh/id_bob@h.example:2222"
    assert expand_tokens("~/k_%n_100%%", cfg, "alias") == os.path.expanduser("~/k_alias_100%")


def test_sync_missing_cache_dir(sshd, remote_dir, tmp_path):
    p = run_cli("sync", "status", tmp_path / "nope", tgt(sshd, remote_dir), *opts(sshd))
    assert p.returncode == EXIT_NOTFOUND


# ------------------------------------------------------------------- demo


def test_demo_with_throwaway_sshd():
    p = run_cli("demo", "--size", "4", "--files", "20", timeout=300)
    assert p.returncode == 0, p.err
    assert "verified: 21 files" in p.out and "demo OK" in p.out
    assert "upload:" in p.out and "/s" in p.out


def _accounts():
    """The machine's account database: what the demo must leave as it found it."""
    out = {}
    for name in ("/etc/passwd", "/etc/shadow", "/etc/group"):
        try:
            with open(name, "rb") as f:
                out[name] = f.read()
        except OSError:
            out[name] = None  # unreadable as a normal user: compare what we can
    return out


def test_demo_logs_in_as_the_invoking_user_with_a_key_only(tmp_path):
    before = _accounts()
    p = run_cli("demo", "--size", "1", "--files", "3", env={"TMPDIR": str(tmp_path)}, timeout=300)
    assert p.returncode == 0, p.err
    import pwd

    me = pwd.getpwuid(os.geteuid()).pw_name
    assert "(user %s)" % me in p.out
    # no account created, no password set or changed, nothing left behind
    assert _accounts() == before
    assert os.listdir(tmp_path) == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_demo_interrupted_cleans_up(tmp_path, sig):
    import signal
    import time

    e = dict(os.environ, TMPDIR=str(tmp_path))
    e.pop("SSH_AUTH_SOCK", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferrosftp", "demo", "--size", "256", "--files", "400"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=e,
    )
    try:
        line = b""
        deadline = time.monotonic() + 60
        while b"sshd listening" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, proc.stderr.read().decode(errors="replace")
        pid_files = [os.path.join(r, f) for r, _, fs in os.walk(tmp_path) for f in fs if f == "sshd.pid"]
        assert len(pid_files) == 1
        with open(pid_files[0]) as f:
            sshd_pid = int(f.read())
        time.sleep(0.5)  # into the transfers
        proc.send_signal(getattr(signal, sig))
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    # the throwaway sshd is gone and every temp dir (keys, scratch, data) removed
    deadline = time.monotonic() + 10
    while os.path.exists("/proc/%d" % sshd_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists("/proc/%d" % sshd_pid)
    assert os.listdir(tmp_path) == []


def test_demo_against_given_server(sshd, remote_dir):
    p = run_cli("demo", "--size", "2", "--files", "10", *opts(sshd), tgt(sshd, remote_dir), timeout=300)
    assert p.returncode == 0, p.err
    assert "demo OK" in p.out
    assert os.listdir(remote_dir) == []  # cleaned up after itself


def test_demo_without_sshd_says_what_is_missing():
    p = run_cli("demo", "--size", "1", "--files", "1", env={"FERROSFTP_SSHD": "/nonexistent/sbin/sshd"})
    assert p.returncode != 0
    assert "sshd not found" in p.err and "openssh-server" in p.err
    assert len(p.err.strip().splitlines()) == 1


def test_ls_and_get_non_utf8_name(sshd, remote_dir, tmp_path):
    raw = os.path.join(os.fsencode(remote_dir), b"caf\xe9.txt")
    with open(raw, "wb") as f:
        f.write(b"latin-1 name")
    p = run_cli("ls", *opts(sshd), tgt(sshd, remote_dir))
    assert p.returncode == 0, p.err
    assert p.stdout == b"caf\xe9.txt\n"
    p = run_cli("get", *opts(sshd), tgt(sshd, remote_dir) + "/" + os.fsdecode(b"caf\xe9.txt"), tmp_path)
    assert p.returncode == 0, p.err
    assert open(os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9.txt"), "rb").read() == b"latin-1 name"


def test_ctrl_c_mid_upload(sshd, remote_dir, tmp_path):
    import signal
    import time

    from ferrosftp.testing import FaultProxy

    src = tmp_path / "slow.bin"
    src.write_bytes(os.urandom(20 * 1024 * 1024))
    with FaultProxy(sshd.host, sshd.port, bandwidth=1_000_000) as proxy:
        kh = tmp_path / "kh"
        kh.write_text("".join("[127.0.0.1]:%d %s\n" % (proxy.port, k) for k in sshd.host_public_keys.values()))
        env = dict(os.environ)
        env.pop("SSH_AUTH_SOCK", None)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ferrosftp",
                "put",
                "-i",
                sshd.keys["ed25519"],
                "-P",
                str(proxy.port),
                "--known-hosts",
                str(kh),
                str(src),
                tgt(sshd, remote_dir + "/slow.bin"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        # wait until the upload has started (its hidden temp file exists), then interrupt
        deadline = time.monotonic() + 60
        while not os.listdir(remote_dir) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    # nothing under the final name
    assert not os.path.exists(os.path.join(remote_dir, "slow.bin"))


# ------------------------------------------------------------ error messages


def test_no_key_no_agent_no_password_is_an_auth_problem(sshd, remote_dir, tmp_path):
    p = run_cli(
        "ls",
        "-P",
        sshd.port,
        "--known-hosts",
        sshd.known_hosts_path,
        tgt(sshd, remote_dir),
        env={"HOME": str(tmp_path)},
    )  # no ~/.ssh keys either
    assert p.returncode == EXIT_AUTH, p.err
    assert "-i KEY" in p.err and "ssh-agent" in p.err and "--password-env" in p.err
    assert len(p.err.strip().splitlines()) == 1


@pytest.mark.parametrize("cmd", ["get", "ls", "rm"])
def test_missing_remote_path_is_named(sshd, remote_dir, tmp_path, cmd):
    missing = remote_dir + "/not-here.txt"
    extra = [str(tmp_path)] if cmd == "get" else []
    p = run_cli(cmd, *opts(sshd), tgt(sshd, missing), *extra)
    assert p.returncode == EXIT_NOTFOUND, p.err
    assert missing in p.err, p.err


def test_put_into_missing_remote_directory_names_the_destination(sshd, remote_dir, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(b"x")
    dst = remote_dir + "/no-such-dir/a.txt"
    p = run_cli("put", *opts(sshd), src, tgt(sshd, dst))
    assert p.returncode == EXIT_NOTFOUND, p.err
    first = p.err.splitlines()[0]
    assert str(src) in first and dst in first and "on the server" in first, p.err


def test_get_whose_source_vanished_names_both_ends(sshd, remote_dir, tmp_path):
    """A per-file failure in a recursive get says which remote file failed and
    where it was going."""
    top = os.path.join(remote_dir, "tree")
    for name in ("a.txt", "b.txt"):
        _write(os.path.join(top, name), b"data")
        sshd.chown_to_user(os.path.join(top, name))
    sshd.chown_to_user(top)
    os.chmod(os.path.join(top, "b.txt"), 0)  # listed, but unreadable
    if os.geteuid() != 0 and os.access(os.path.join(top, "b.txt"), os.R_OK):
        pytest.skip("cannot make a file unreadable here")
    p = run_cli("get", "-r", *opts(sshd), tgt(sshd, top), tmp_path / "out")
    assert p.returncode == EXIT_NOTFOUND, p.err
    line = [x for x in p.err.splitlines() if "b.txt" in x][0]
    assert top + "/b.txt" in line and str(tmp_path / "out") in line and "on the server" in line, p.err


def _via_config(tmp_path, sshd, jump, how):
    """An ssh config reaching `target` (the sshd) through `jump`."""
    known = tmp_path / "known_hosts"
    known.write_text(open(sshd.known_hosts_path).read() + open(jump.known_hosts_path).read())
    if how == "jump":
        via = "ProxyJump jumpalias"
    else:
        via = (
            "ProxyCommand ssh -W %%h:%%p -i %s -p %d -l %s -o BatchMode=yes -o StrictHostKeyChecking=no "
            "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR 127.0.0.1"
            % (jump.keys["ed25519"], jump.port, jump.username)
        )
    cfg = tmp_path / "config"
    cfg.write_text(
        "Host target\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n"
        "  UserKnownHostsFile %s\n  %s\n"
        "Host jumpalias\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n"
        "  UserKnownHostsFile %s\n"
        % (
            sshd.port,
            sshd.username,
            sshd.keys["ed25519"],
            known,
            via,
            jump.port,
            jump.username,
            jump.keys["ed25519"],
            known,
        )
    )
    return cfg


@pytest.mark.parametrize("how", ["jump", "proxycommand"])
def test_proxyjump_and_proxycommand_from_the_ssh_config(sshd, remote_dir, tmp_path, how):
    with SshdServer(rsa_bits=2048) as jump:
        cfg = _via_config(tmp_path, sshd, jump, how)
        src = tmp_path / "tree"
        for i in range(40):  # several channels of the connection through the hop
            _write(str(src / ("f%02d.txt" % i)), b"via %d" % i)
        p = run_cli("put", "-F", cfg, "-r", src, "target:" + remote_dir)
        assert p.returncode == 0, p.err
        p = run_cli("ls", "-F", cfg, "target:" + remote_dir + "/tree")
        assert p.returncode == 0, p.err
        assert len(p.out.split()) == 40
        assert _read(os.path.join(remote_dir, "tree", "f07.txt")) == b"via 7"
