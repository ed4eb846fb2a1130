"""RSA keys (``paramiko.rsakey``)."""

from .pkey import PKey, _read_string

__all__ = ["RSAKey"]


class RSAKey(PKey):
    """An RSA key (``ssh-rsa``; signs with rsa-sha2-256/512 on the wire)."""

    name = "ssh-rsa"
    _KEY_TYPES = ("ssh-rsa",)
    _LABEL = "RSA"
    HASHES = {
        "ssh-rsa": "sha1",
        "ssh-rsa-cert-v01@openssh.com": "sha1",
        "rsa-sha2-256": "sha256",
        "rsa-sha2-256-cert-v01@openssh.com": "sha256",
        "rsa-sha2-512": "sha512",
        "rsa-sha2-512-cert-v01@openssh.com": "sha512",
    }

    def __init__(
        self,
        msg=None,
        data=None,
        filename=None,
        password=None,
        key=None,
        file_obj=None,
    ):
        self._init_empty()
        if file_obj is None and filename is None and key is not None:
            self._load_crypto_key(key)
            return
        self._load_from_sources(
            msg=msg,
            data=data,
            filename=filename,
            password=password,
            file_obj=file_obj,
        )

    @classmethod
    def identifiers(cls):
        return list(cls.HASHES.keys())

    def get_name(self):
        return self.name

    @property
    def size(self):
        return self.get_bits()

    @property
    def public_numbers(self):
        """An object with the public exponent ``e`` and modulus ``n``."""
        # read here: the Rust core gives a blob's type and size only
        blob = self.asbytes()
        _, off = _read_string(blob, 0)
        e, off = _read_string(blob, off)
        n, _ = _read_string(blob, off)
        return _RSAPublicNumbers(int.from_bytes(e, "big"), int.from_bytes(n, "big"))

    def __str__(self):
        # paramiko's legacy str() of an RSA key: the blob, loosely decoded
        return self.asbytes().decode("utf8", errors="ignore")

    @classmethod
    def generate(cls, bits, progress_func=None):
        """A new RSA key of ``bits`` bits (made by ``ssh-keygen``)."""
        return cls._generate_with_ssh_keygen("rsa", bits, pem=True)


class _RSAPublicNumbers:
    def __init__(self, e, n):
        self.e = e
        self.n = n

    def __repr__(self):
        return "<RSAPublicNumbers(e={}, n={})>".format(self.e, self.n)
