"""Ed25519 keys (``paramiko.ed25519key``)."""

from .pkey import PKey

__all__ = ["Ed25519Key"]


class Ed25519Key(PKey):
    """An Ed25519 key."""

    name = "ssh-ed25519"
    _KEY_TYPES = ("ssh-ed25519",)
    _LABEL = "Ed25519"

    def __init__(self, msg=None, data=None, filename=None, password=None, file_obj=None):
        self._init_empty()
        self._load_from_sources(
            msg=msg,
            data=data,
            filename=filename,
            password=password,
            file_obj=file_obj,
        )

    def get_name(self):
        return self.name
