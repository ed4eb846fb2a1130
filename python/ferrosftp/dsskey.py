"""DSA keys (``paramiko.dsskey``): removed from paramiko 4.0 and OpenSSH.

``DSSKey`` is importable (pysftp 0.2.9 imports it) but creating or loading
one raises ``SSHException("DSA keys are not supported (removed in paramiko
4.0 and OpenSSH)")``.
"""

from .pkey import DSSKey

__all__ = ["DSSKey"]
