"""Connecting a ferrosftp SSHClient to the test sshd, for fixtures and tests.

A plain module (not conftest) so tests can import it by name: with conftest
files in several directories, `from conftest import ...` picks whichever was
loaded last.
"""


def connect_client(sshd, **overrides):
    import ferrosftp

    c = ferrosftp.SSHClient()
    c.set_missing_host_key_policy(ferrosftp.AutoAddPolicy())
    kw = dict(
        port=sshd.port,
        username=sshd.username,
        key_filename=sshd.keys["ed25519"],
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    kw.update(overrides)
    c.connect(sshd.host, **kw)
    return c


class Worker(__import__("threading").Thread):
    """A daemon thread that keeps its result or exception (tests that run
    calls in other threads)."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn = fn
        self.result = self.error = None

    def run(self):
        try:
            self.result = self.fn()
        except BaseException as e:  # noqa: BLE001 - the test judges it
            self.error = e

    def outcome(self, timeout=30):
        """Join; re-raise the thread's exception; fail if it hung."""
        self.join(timeout)
        assert not self.is_alive(), "the thread hung"
        if self.error is not None:
            raise self.error
        return self.result


def programs_path():
    """FERROSFTP_PROGRAMS_PATH: the real programs .ci/run installs without
    paramiko (tests/programs-requirements.txt); the test fails without it."""
    import os

    import pytest

    where = os.environ.get("FERROSFTP_PROGRAMS_PATH")
    if not where or not os.path.isdir(where):
        pytest.fail(
            "this test needs the programs in FERROSFTP_PROGRAMS_PATH (.ci/run: pip install "
            "--no-deps --target .ci-programs -r tests/programs-requirements.txt)",
            pytrace=False,
        )
    return where
