"""ECDSA keys (``paramiko.ecdsakey``)."""

from .pkey import PKey

__all__ = ["ECDSAKey"]


class ECDSAKey(PKey):
    """An ECDSA key on NIST P-256, P-384 or P-521."""

    _KEY_TYPES = (
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
    )
    _LABEL = "EC"

    def __init__(
        self,
        msg=None,
        data=None,
        filename=None,
        password=None,
        vals=None,
        file_obj=None,
        validate_point=True,
    ):
        self._init_empty()
        if file_obj is None and filename is None and vals is not None:
            # paramiko: (signing_key, verifying_key) cryptography objects
            signing_key, verifying_key = vals
            self._load_crypto_key(signing_key or verifying_key)
            return
        self._load_from_sources(
            msg=msg,
            data=data,
            filename=filename,
            password=password,
            file_obj=file_obj,
        )

    @classmethod
    def supported_key_format_identifiers(cls):
        return list(cls._KEY_TYPES)

    @classmethod
    def generate(cls, curve=None, progress_func=None, bits=None):
        """A new ECDSA key (made by ``ssh-keygen``).  ``curve`` may be a
        ``cryptography`` curve object (its ``key_size`` is used); else
        ``bits`` (256, 384, 521), default 256."""
        if curve is not None and getattr(curve, "key_size", None):
            bits = curve.key_size
        if bits is None:
            bits = 256
        if bits not in (256, 384, 521):
            raise ValueError("Unsupported key length: {:d}".format(bits))
        return cls._generate_with_ssh_keygen("ecdsa", bits)
