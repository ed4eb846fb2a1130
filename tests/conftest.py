"""Shared pytest fixtures for ferrosftp.

Tests import the *installed* ferrosftp package (CI installs the wheel into a
venv); python/ is deliberately not put on sys.path.  The throwaway sshd and
the fault proxy are the package's own (ferrosftp.testing).

Fixtures
--------
sshd         (session)  started tests/sshd_server.SshdServer
remote_dir   (function) fresh empty dir under sshd.remote_root, owned by the
                        login user, removed afterwards
client       (function) connected ferrosftp.SSHClient (paramiko API, ed25519 key)
sftp         (function) client.open_sftp()
conn         (function) pysftp-style ferrosftp.Connection (ed25519 key,
                        CnOpts(knownhosts=sshd.known_hosts_bare_path))
fault_proxy  (function) factory: fault_proxy(**FaultProxy options) -> started
                        FaultProxy in front of sshd; all stopped at teardown
"""

import os
import re
import secrets
import sys

import pytest

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if _TESTS_DIR not in sys.path:  # for sshd_server / client_helpers (tests/ only, never python/)
    sys.path.insert(0, _TESTS_DIR)

from ferrosftp.testing import FaultProxy, rmtree  # noqa: E402
from sshd_server import SshdServer  # noqa: E402
from client_helpers import connect_client  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test")


def pytest_report_header(config):
    try:
        import ferrosftp
    except Exception as e:  # noqa: BLE001
        return "ferrosftp: NOT importable (%s: %s)" % (type(e).__name__, e)
    return "ferrosftp: %s from %s" % (
        getattr(ferrosftp, "__version__", "?"),
        os.path.dirname(getattr(ferrosftp, "__file__", "?")),
    )


@pytest.fixture(scope="session")
def sshd():
    srv = SshdServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def remote_dir(sshd, request):
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:60]
    path = os.path.join(sshd.remote_root, "%s-%s" % (name, secrets.token_hex(4)))
    os.makedirs(path, mode=0o755)
    sshd.chown_to_user(path)
    try:
        yield path
    finally:
        rmtree(path)


_connect_client = connect_client  # kept for older imports


@pytest.fixture
def client(sshd):
    c = _connect_client(sshd)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def sftp(client):
    s = client.open_sftp()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def conn(sshd):
    import ferrosftp

    cnopts = ferrosftp.CnOpts(knownhosts=sshd.known_hosts_bare_path)
    c = ferrosftp.Connection(
        sshd.host, username=sshd.username, private_key=sshd.keys["ed25519"], port=sshd.port, cnopts=cnopts
    )
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def fault_proxy(sshd):
    """Factory: ``p = fault_proxy(latency=0.02, cut_after=50000)``; connect to
    ``("127.0.0.1", p.port)``.  Every proxy is stopped at teardown."""
    proxies = []

    def make(**opts):
        p = FaultProxy(sshd.host, sshd.port, **opts)
        p.start()
        proxies.append(p)
        return p

    try:
        yield make
    finally:
        for p in proxies:
            p.stop()
