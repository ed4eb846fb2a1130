"""The test suite's sshd: :class:`ferrosftp.testing.SshdServer` (the
package's throwaway sshd on 127.0.0.1, which ``ferrosftp demo`` and bench/
use too) with the suite's settings::

    from sshd_server import SshdServer

    with SshdServer() as srv:
        print(srv.host, srv.port, srv.username, srv.keys["ed25519"])

Every client key type is made, and when run as root the login user is the
unprivileged ``ferrotest`` with a random password (``test_user=True``), so
password authentication and file permissions are tested as a normal user
meets them. See ferrosftp/testing/sshd.py for the attributes.
"""

from ferrosftp.testing.sshd import KEY_PASSPHRASE, TEST_USER, SshdError, rmtree  # noqa: F401
from ferrosftp.testing.sshd import SshdServer as _PackageSshdServer

__all__ = ["SshdServer", "SshdError", "TEST_USER", "KEY_PASSPHRASE", "rmtree"]


class SshdServer(_PackageSshdServer):
    """The package's SshdServer logging in as ``ferrotest`` when root."""

    def __init__(self, **kw):
        kw.setdefault("test_user", True)
        super().__init__(**kw)


if __name__ == "__main__":  # manual smoke test: python3 tests/sshd_server.py
    with SshdServer() as srv:
        print(repr(srv))
        print("ssh echo:", srv.ssh_cmd("echo hi"))
        print("remote_root:", srv.remote_root)
