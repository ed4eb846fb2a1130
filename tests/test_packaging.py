"""The installed package is complete and importable the ways the docs promise.

Runs against whatever ``import ferrosftp`` finds (CI: the wheel installed in a
fresh venv).  Reads Cargo.toml from the repository (tests run from its root).
"""

import importlib
import os
import re
import subprocess
import sys

import pytest

import ferrosftp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG_DIR = os.path.dirname(os.path.abspath(ferrosftp.__file__))


def cargo_version():
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S).group(1)
    return re.search(r'^version\s*=\s*"([^"]+)"', package, re.M).group(1)


def run_python(code):
    """Run code in a fresh interpreter (sys.modules changes stay there), from
    a directory that holds no ferrosftp sources."""
    p = subprocess.run(
        [sys.executable, "-c", code], cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


# -- what the package ships ------------------------------------------------------


def test_py_typed_and_stub_are_installed():
    assert os.path.isfile(os.path.join(PKG_DIR, "py.typed"))
    stub = os.path.join(PKG_DIR, "_native.pyi")
    assert os.path.isfile(stub)
    with open(stub, encoding="utf-8") as f:
        text = f.read()
    for name in ("class Session", "class Channel", "class Sftp", "class File", "def supported_algorithms"):
        assert name in text


def test_extension_is_abi3_and_bundles_recent_libssh2():
    native = importlib.import_module("ferrosftp._native")
    assert os.path.basename(native.__file__).startswith("_native.")
    if native.__file__.endswith(".so"):
        assert native.__file__.endswith(".abi3.so"), native.__file__
    # the vendored libssh2 (1.11.x: AES-GCM, strict KEX), never a system 1.10
    major, minor = (int(x) for x in native.LIBSSH2_VERSION.split(".")[:2])
    assert (major, minor) >= (1, 11), native.LIBSSH2_VERSION


def test_version_matches_cargo_toml():
    assert ferrosftp.__version__ == cargo_version()
    assert ferrosftp._native.__version__ == ferrosftp.__version__


def test_distribution_metadata():
    from importlib import metadata

    assert metadata.version("ferrosftp") == cargo_version()
    scripts = (
        {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts") if ep.name == "ferrosftp"}
        if sys.version_info >= (3, 10)
        else {ep.name: ep.value for ep in metadata.entry_points().get("console_scripts", []) if ep.name == "ferrosftp"}
    )
    assert scripts == {"ferrosftp": "ferrosftp.cli:main"}
    assert metadata.metadata("ferrosftp")["Requires-Python"] == ">=3.9"


# -- the two import styles --------------------------------------------------------


def test_import_as_paramiko():
    import ferrosftp as paramiko

    for name in (
        "SSHClient",
        "Transport",
        "SFTPClient",
        "SFTP",
        "SFTPFile",
        "SFTPAttributes",
        "Channel",
        "AutoAddPolicy",
        "RejectPolicy",
        "WarningPolicy",
        "MissingHostKeyPolicy",
        "RSAKey",
        "ECDSAKey",
        "Ed25519Key",
        "DSSKey",
        "PKey",
        "HostKeys",
        "Agent",
        "AgentKey",
        "SSHException",
        "AuthenticationException",
        "BadHostKeyException",
        "NoValidConnectionsError",
        "SFTPError",
        "SFTP_NO_SUCH_FILE",
    ):
        assert hasattr(paramiko, name), name
    from ferrosftp.client import SSHClient
    from ferrosftp.sftp_client import SFTPClient
    from ferrosftp.ssh_exception import NoValidConnectionsError, SSHException

    assert SSHClient is paramiko.SSHClient and SFTPClient is paramiko.SFTPClient
    assert issubclass(NoValidConnectionsError, OSError)
    assert issubclass(paramiko.AuthenticationException, SSHException)


def test_import_as_pysftp():
    import ferrosftp as pysftp

    for name in (
        "Connection",
        "CnOpts",
        "ConnectionException",
        "CredentialException",
        "HostKeysException",
        "WTCallbacks",
        "walktree",
        "reparent",
        "path_advance",
        "path_retreat",
        "st_mode_to_int",
        "cd",
        "known_hosts",
        "SSHException",
        "AuthenticationException",
        "AgentKey",
        "RSAKey",
        "DSSKey",
    ):
        assert hasattr(pysftp, name), name
    assert pysftp.paramiko is pysftp  # pysftp scripts reach `pysftp.paramiko`
    from ferrosftp.exceptions import ConnectionException
    from ferrosftp.helpers import walktree

    assert ConnectionException is pysftp.ConnectionException and walktree is pysftp.walktree


def test_cli_package_sessions_and_testing_helpers_are_installed():
    """ferrosftp.cli is a package (the console script's ``ferrosftp.cli:main``),
    and the sessions module and the testing helpers ship with it."""
    out = run_python(
        "import sys, ferrosftp.cli as cli, ferrosftp.sessions, ferrosftp.testing\n"
        "assert hasattr(cli, '__path__')\n"
        "assert ferrosftp.testing.SshdServer.__module__ == 'ferrosftp.testing.sshd'\n"
        "sys.exit(cli.main(['--version']))\n"
    )
    assert out == "ferrosftp %s\n" % ferrosftp.__version__


def test_sync_agent_import_paths():
    from ferrosftp.sftpagent import SyncAgent

    assert SyncAgent is ferrosftp.SyncAgent


# -- install_as_paramiko / install_as_pysftp --------------------------------------------


def test_install_as_paramiko_registers_modules():
    out = run_python(
        "import sys, ferrosftp\n"
        "assert 'paramiko' not in sys.modules\n"
        "ferrosftp.install_as_paramiko()\n"
        "import paramiko\n"
        "from paramiko.client import SSHClient\n"
        "from paramiko.ssh_exception import NoValidConnectionsError\n"
        "from paramiko.sftp_client import SFTPClient\n"
        "import paramiko.hostkeys, paramiko.rsakey\n"
        "assert paramiko is ferrosftp\n"
        "assert SSHClient is ferrosftp.SSHClient and SFTPClient is ferrosftp.SFTPClient\n"
        "assert sys.modules['paramiko.client'] is sys.modules['ferrosftp.client']\n"
        "assert paramiko.hostkeys.HostKeys is ferrosftp.HostKeys\n"
        "print('ok')\n"
    )
    assert out.strip() == "ok"


def test_install_as_paramiko_after_the_real_paramiko_is_refused(tmp_path):
    """A real paramiko already imported would mix its objects with ours:
    install_as_paramiko() refuses clearly instead of half-replacing it."""
    fake = tmp_path / "paramiko"
    fake.mkdir()
    (fake / "__init__.py").write_text("REAL = True\n")
    out = run_python(
        "import sys\n"
        "sys.path.insert(0, %r)\n"
        "import paramiko, ferrosftp\n"
        "try:\n"
        "    ferrosftp.install_as_paramiko()\n"
        "except RuntimeError as e:\n"
        "    print('refused:', 'before anything imports paramiko' in str(e))\n"
        "assert sys.modules['paramiko'].REAL\n"
        "ferrosftp.install_as_pysftp(); ferrosftp.install_as_pysftp()  # others unaffected, idempotent\n"
        % str(tmp_path)
    )
    assert out.strip() == "refused: True"


def test_install_as_pysftp_registers_modules():
    out = run_python(
        "import sys, ferrosftp\n"
        "ferrosftp.install_as_pysftp()\n"
        "import pysftp\n"
        "from pysftp.exceptions import ConnectionException\n"
        "from pysftp.helpers import walktree\n"
        "assert pysftp is ferrosftp\n"
        "assert ConnectionException is ferrosftp.ConnectionException\n"
        "assert walktree is ferrosftp.walktree\n"
        "assert sys.modules['pysftp.helpers'] is sys.modules['ferrosftp.helpers']\n"
        "print('ok')\n"
    )
    assert out.strip() == "ok"


@pytest.mark.parametrize(
    "module",
    [
        "ferrosftp.client",
        "ferrosftp.transport",
        "ferrosftp.channel",
        "ferrosftp.sftp",
        "ferrosftp.sftp_client",
        "ferrosftp.sftp_attr",
        "ferrosftp.sftp_file",
        "ferrosftp.ssh_exception",
        "ferrosftp.hostkeys",
        "ferrosftp.rsakey",
        "ferrosftp.ecdsakey",
        "ferrosftp.ed25519key",
        "ferrosftp.pkey",
        "ferrosftp.agent",
        "ferrosftp.util",
        "ferrosftp.common",
        "ferrosftp.helpers",
        "ferrosftp.exceptions",
        "ferrosftp.sftpagent",
    ],
)
def test_paramiko_and_pysftp_shaped_submodules_import(module):
    importlib.import_module(module)
