"""RSA keys (``paramiko.rsakey``); the class lives in :mod:`ferrosftp.pkey`."""

from .pkey import RSAKey

__all__ = ["RSAKey"]
