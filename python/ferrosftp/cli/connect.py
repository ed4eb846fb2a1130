"""The connection options of the command line (``-i``, ``-P``, ``-F``,
``--known-hosts``, ``--accept-new-host-key``, ``--password-env``,
``--passphrase-env``, ``--timeout``) as a :class:`~ferrosftp.sessions.Connector`
for one target."""

from __future__ import annotations

import contextlib
import os
from typing import Optional

from ..host_config import UsageError
from ..sessions import Connector
from .targets import Remote


def _from_env(option: str, var) -> Optional[str]:
    if not var:
        return None
    if var not in os.environ:
        raise UsageError("{}: environment variable {} is not set".format(option, var))
    return os.environ[var]


def connector_for(args, remote: Remote) -> Connector:
    """The Connector for ``remote`` with the command line's options (the
    ssh config supplies the rest)."""
    password = _from_env("--password-env", args.password_env)
    passphrase = _from_env("--passphrase-env", args.passphrase_env)
    return Connector.for_host(
        remote.host,
        port=args.port,
        user=remote.user,
        ssh_config=args.ssh_config,
        identity=args.identity or (),
        password=password,
        passphrase=passphrase,
        known_hosts=args.known_hosts,
        accept_new_host_key=args.accept_new_host_key,
        timeout=args.timeout,
    )


@contextlib.contextmanager
def sftp_session(args, remote: Remote):
    """An SFTP session to ``remote``'s server, closed with its connection at the end."""
    client, sftp = connector_for(args, remote).session()
    try:
        yield sftp
    finally:
        sftp.close()
        client.close()
