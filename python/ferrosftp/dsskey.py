"""DSA keys (``paramiko.dsskey``): removed from paramiko 4.0 and OpenSSH.

``DSSKey`` is importable (pysftp 0.2.9 imports it) but creating or loading
one raises ``SSHException("DSA keys are not supported (removed in paramiko
4.0 and OpenSSH)")``.
"""

from .pkey import _DSA_UNSUPPORTED, PKey
from .ssh_exception import SSHException

__all__ = ["DSSKey"]


class DSSKey(PKey):
    """DSA keys: removed from paramiko 4.0 and from OpenSSH.

    The class exists so that ``from paramiko import DSSKey`` (pysftp 0.2.9
    does this) keeps working; creating or loading one raises
    ``SSHException``.
    """

    name = "ssh-dss"
    _KEY_TYPES = ("ssh-dss",)
    _LABEL = "DSA"

    def __init__(
        self,
        msg=None,
        data=None,
        filename=None,
        password=None,
        vals=None,
        file_obj=None,
    ):
        self._init_empty()
        raise SSHException(_DSA_UNSUPPORTED)

    @classmethod
    def identifiers(cls):
        return []

    @classmethod
    def generate(cls, bits=1024, progress_func=None):
        raise SSHException(_DSA_UNSUPPORTED)
