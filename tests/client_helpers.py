"""Connecting a ferrosftp SSHClient to the test sshd, for fixtures and tests.

A plain module (not conftest) so tests can import it by name: with conftest
files in several directories, `from conftest import ...` picks whichever was
loaded last.
"""


def connect_client(sshd, **overrides):
    import ferrosftp

    c = ferrosftp.SSHClient()
    c.set_missing_host_key_policy(ferrosftp.AutoAddPolicy())
    kw = dict(port=sshd.port, username=sshd.username, key_filename=sshd.keys["ed25519"],
              look_for_keys=False, allow_agent=False, timeout=10)
    kw.update(overrides)
    c.connect(sshd.host, **kw)
    return c
