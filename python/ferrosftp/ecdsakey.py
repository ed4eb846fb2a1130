"""ECDSA keys (``paramiko.ecdsakey``); the class lives in :mod:`ferrosftp.pkey`."""

from .pkey import ECDSAKey

__all__ = ["ECDSAKey"]
