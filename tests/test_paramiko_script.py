"""Unmodified paramiko scripts run on ferrosftp (issue #2/#3).

Each script below is written the way paramiko users write them; the only
change is the import line (``import ferrosftp as paramiko``) or a call to
``ferrosftp.install_as_paramiko()`` before ``import paramiko``.  They run in a
subprocess with a fake HOME whose ~/.ssh/known_hosts knows the test sshd, so
``load_system_host_keys()`` and ``look_for_keys`` behave as on a real machine.
"""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest


SCRIPT_CLASSIC = """
import ferrosftp as paramiko
import os
import sys

host, port, user, workdir, localdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

ssh = paramiko.SSHClient()
ssh.load_system_host_keys()
ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
ssh.connect(host, port=port, username=user)   # key from ~/.ssh/id_ed25519

stdin, stdout, stderr = ssh.exec_command("echo hello from $(whoami); echo warn >&2; exit 3")
for line in stdout:
    print("OUT:", line.strip())
for line in stderr.readlines():
    print("ERR:", line.strip())
print("STATUS:", stdout.channel.recv_exit_status())

sftp = ssh.open_sftp()
sftp.chdir(workdir)
print("CWD:", sftp.getcwd() == workdir)
sftp.mkdir("reports")
local = os.path.join(localdir, "report.csv")
with open(local, "w") as f:
    f.write("id,value\\n" + "".join("%d,%d\\n" % (i, i * i) for i in range(1000)))
progress = []
attrs = sftp.put(local, "reports/report.csv", callback=lambda a, b: progress.append((a, b)))
print("PUT:", attrs.st_size, progress[-1])
print("LIST:", sorted(sftp.listdir("reports")))
for entry in sftp.listdir_attr("reports"):
    print("ATTR:", entry.filename, entry.st_size)
sftp.get("reports/report.csv", os.path.join(localdir, "copy.csv"))
print("SAME:", open(local, "rb").read() == open(os.path.join(localdir, "copy.csv"), "rb").read())
try:
    sftp.stat("reports/missing.csv")
except IOError as e:
    print("MISSING:", type(e).__name__, e.errno)
with sftp.open("reports/report.csv") as remote_file:
    print("HEAD:", remote_file.readline().strip())
sftp.rename("reports/report.csv", "reports/final.csv")
print("RENAMED:", sftp.listdir("reports"))
sftp.remove("reports/final.csv")
sftp.rmdir("reports")
sftp.close()
ssh.close()
print("DONE")
"""


SCRIPT_TRANSPORT_1X = """
import ferrosftp as paramiko
import sys

host, port, user, keyfile, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

# the paramiko 1.x demo_sftp.py way
hostkeys = paramiko.HostKeys(sys.argv[6])
hostkey = hostkeys["[%s]:%d" % (host, port)]["ssh-ed25519"]
key = paramiko.Ed25519Key.from_private_key_file(keyfile)
t = paramiko.Transport((host, port))
t.connect(hostkey, user, pkey=key)
sftp = paramiko.SFTPClient.from_transport(t)
f = sftp.open(workdir + "/demo.txt", "w")
f.write("line one\\nline two\\n")
f.close()
data = sftp.open(workdir + "/demo.txt", "r").read()
print("READ:", repr(data))
print("SIZE:", sftp.stat(workdir + "/demo.txt").st_size)
print("FILES:", sftp.listdir(workdir))
print("CIPHER:", t.local_cipher)
t.close()
print("ACTIVE:", t.is_active())
"""


SCRIPT_INSTALLED = """
import ferrosftp
ferrosftp.install_as_paramiko()

import paramiko
from paramiko import SSHClient, AutoAddPolicy
from paramiko.ssh_exception import AuthenticationException, SSHException
from paramiko.sftp_client import SFTPClient
from paramiko.client import WarningPolicy
import sys
import warnings

host, port, user, keyfile, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

with SSHClient() as client:
    client.set_missing_host_key_policy(AutoAddPolicy())
    try:
        client.connect(host, port=port, username="nobody-" + user, key_filename=keyfile,
                       look_for_keys=False, allow_agent=False)
    except AuthenticationException:
        print("AUTH-FAILED-AS-EXPECTED")
with SSHClient() as client:
    client.set_missing_host_key_policy(AutoAddPolicy())
    client.connect(host, port=port, username=user, key_filename=keyfile, timeout=10)
    sftp = client.open_sftp()
    print("TYPE:", isinstance(sftp, SFTPClient), isinstance(sftp, paramiko.SFTPClient))
    sftp.putfo(__import__("io").BytesIO(b"x" * 12345), workdir + "/blob")
    print("BLOB:", sftp.stat(workdir + "/blob").st_size)
    try:
        sftp.open(workdir + "/missing")
    except FileNotFoundError as e:
        print("FNF:", e.errno)
    stdin, stdout, stderr = client.exec_command("cat", timeout=10)
    stdin.write("piped\\n")
    stdin.close()
    print("CAT:", stdout.read())
print("MODULE:", paramiko.__name__)
"""


@pytest.fixture
def fake_home(sshd, tmp_path):
    home = tmp_path / "home"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True)
    shutil.copy(sshd.known_hosts_path, ssh / "known_hosts")
    shutil.copy(sshd.keys["ed25519"], ssh / "id_ed25519")
    os.chmod(ssh / "id_ed25519", 0o600)
    return home


def _run(script, args, home, tmp_path):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    env = dict(os.environ)
    env["HOME"] = str(home)
    env.pop("SSH_AUTH_SOCK", None)
    p = subprocess.run(
        [sys.executable, str(path)] + [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=str(tmp_path),
    )
    assert p.returncode == 0, "script failed:\n%s\n%s" % (p.stdout, p.stderr)
    return p.stdout.splitlines()


def test_classic_sshclient_script(sshd, remote_dir, fake_home, tmp_path):
    localdir = tmp_path / "local"
    localdir.mkdir()
    out = _run(SCRIPT_CLASSIC, [sshd.host, sshd.port, sshd.username, remote_dir, localdir], fake_home, tmp_path)
    size = len("id,value\n" + "".join("%d,%d\n" % (i, i * i) for i in range(1000)))
    assert out == [
        "OUT: hello from %s" % sshd.username,
        "ERR: warn",
        "STATUS: 3",
        "CWD: True",
        "PUT: %d (%d, %d)" % (size, size, size),
        "LIST: ['report.csv']",
        "ATTR: report.csv %d" % size,
        "SAME: True",
        "MISSING: FileNotFoundError 2",
        "HEAD: id,value",
        "RENAMED: ['final.csv']",
        "DONE",
    ]
    assert os.listdir(remote_dir) == []


def test_classic_script_unknown_host_rejected(sshd, remote_dir, fake_home, tmp_path):
    (fake_home / ".ssh" / "known_hosts").write_text("")
    path = tmp_path / "script.py"
    path.write_text(SCRIPT_CLASSIC)
    env = dict(os.environ, HOME=str(fake_home))
    env.pop("SSH_AUTH_SOCK", None)
    p = subprocess.run(
        [sys.executable, str(path), sshd.host, str(sshd.port), sshd.username, remote_dir, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert p.returncode != 0
    assert "SSHException: Server '[%s]:%d' not found in known_hosts" % (sshd.host, sshd.port) in p.stderr
    assert os.listdir(remote_dir) == []


def test_paramiko_1x_transport_script(sshd, remote_dir, fake_home, tmp_path):
    out = _run(
        SCRIPT_TRANSPORT_1X,
        [sshd.host, sshd.port, sshd.username, sshd.keys["ed25519"], remote_dir, sshd.known_hosts_path],
        fake_home,
        tmp_path,
    )
    assert out[0] == "READ: b'line one\\nline two\\n'"
    assert out[1] == "SIZE: 18"
    assert out[2] == "FILES: ['demo.txt']"
    assert out[3].startswith("CIPHER: aes")
    assert out[4] == "ACTIVE: False"


def test_install_as_paramiko_script(sshd, remote_dir, fake_home, tmp_path):
    out = _run(
        SCRIPT_INSTALLED, [sshd.host, sshd.port, sshd.username, sshd.keys["ed25519"], remote_dir], fake_home, tmp_path
    )
    assert out == [
        "AUTH-FAILED-AS-EXPECTED",
        "TYPE: True True",
        "BLOB: 12345",
        "FNF: 2",
        "CAT: b'piped\\n'",
        "MODULE: ferrosftp",
    ]
    with open(os.path.join(remote_dir, "blob"), "rb") as f:
        assert f.read() == b"x" * 12345


def test_util_load_host_keys_exists(sshd):
    import ferrosftp as paramiko

    keys = paramiko.util.load_host_keys(sshd.known_hosts_path)
    entry = keys["[%s]:%d" % (sshd.host, sshd.port)]
    assert entry["ssh-ed25519"].get_base64() == sshd.host_public_keys["ed25519"].split()[1]
