"""Ed25519 keys (``paramiko.ed25519key``); the class lives in
:mod:`ferrosftp.pkey`."""

from .pkey import Ed25519Key

__all__ = ["Ed25519Key"]
