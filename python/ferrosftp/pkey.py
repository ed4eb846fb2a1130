"""SSH keys: ``PKey`` and its subclasses, shaped like ``paramiko.pkey``.

A key object here is a *container*: it holds the public key blob (the SSH
wire encoding, e.g. ``string "ssh-ed25519" + string <32 bytes>``), the key's
type and size, and, for private keys, the original key file bytes and
passphrase.  Parsing and decryption of private key files is done by the
Rust core (``_native.parse_private_key``); signing happens inside the SSH
layer during authentication, which receives ``_private_bytes`` and
``_passphrase``.  Those two attributes are never shown by ``repr``/``str``.

Supported key types: RSA (``ssh-rsa``), ECDSA (``ecdsa-sha2-nistp256/384/521``)
and Ed25519 (``ssh-ed25519``), in OpenSSH or PEM private key files.  DSA
keys were removed from paramiko 4.0 and OpenSSH; :class:`DSSKey` exists only
so that imports keep working.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from .ssh_exception import SSHException

__all__ = [
    "PKey",
    "RSAKey",
    "ECDSAKey",
    "Ed25519Key",
    "DSSKey",
    "PublicBlob",
    "UnknownKeyType",
    "key_classes",
]

_DSA_UNSUPPORTED = (
    "DSA keys are not supported (removed in paramiko 4.0 and OpenSSH)"
)

_ECDSA_CURVES = {
    "ecdsa-sha2-nistp256": ("nistp256", 256),
    "ecdsa-sha2-nistp384": ("nistp384", 384),
    "ecdsa-sha2-nistp521": ("nistp521", 521),
}

_CERT_SUFFIX = "-cert-v01@openssh.com"


def _native():
    """The Rust extension, imported lazily (the pure-Python parts of this
    module work without it)."""
    from . import _native as native

    return native


class UnknownKeyType(Exception):
    """A public/private key algorithm we cannot handle was met."""

    def __init__(self, key_type=None, key_bytes=None):
        self.key_type = key_type
        self.key_bytes = key_bytes

    def __str__(self):
        size = len(self.key_bytes) if self.key_bytes is not None else 0
        return "UnknownKeyType(type={!r}, bytes=<{}>)".format(
            self.key_type, size
        )


# --- SSH wire helpers ----------------------------------------------------------


def _read_string(data, offset):
    if offset + 4 > len(data):
        raise SSHException("Invalid key: truncated data")
    n = int.from_bytes(data[offset : offset + 4], "big")
    end = offset + 4 + n
    if end > len(data):
        raise SSHException("Invalid key: truncated data")
    return data[offset + 4 : end], end


def _pack_string(value):
    return len(value).to_bytes(4, "big") + value


def _blob_type(blob):
    """The key type string at the start of a public key blob."""
    raw, _ = _read_string(blob, 0)
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise SSHException("Invalid key: bad key type")


def _parse_public_blob(blob):
    """``(key_type, bits)`` of a public key blob, checking its structure.

    Plain RSA, ECDSA, Ed25519 and DSA blobs are decoded here; anything else
    (certificates, security-key types) is handed to the Rust core.
    """
    blob = bytes(blob)
    key_type = _blob_type(blob)
    _, off = _read_string(blob, 0)
    if key_type == "ssh-rsa":
        _e, off = _read_string(blob, off)
        n, off = _read_string(blob, off)
        bits = int.from_bytes(n, "big").bit_length()
    elif key_type in _ECDSA_CURVES:
        curve, off = _read_string(blob, off)
        _q, off = _read_string(blob, off)
        expected, bits = _ECDSA_CURVES[key_type]
        if curve != expected.encode():
            raise SSHException(
                "Invalid key: curve {!r} does not match key type {}".format(
                    curve, key_type
                )
            )
    elif key_type == "ssh-ed25519":
        pub, off = _read_string(blob, off)
        if len(pub) != 32:
            raise SSHException("Invalid key: bad Ed25519 public key length")
        bits = 256
    elif key_type == "ssh-dss":
        p, off = _read_string(blob, off)
        for _ in range(3):
            _x, off = _read_string(blob, off)
        bits = int.from_bytes(p, "big").bit_length()
    else:
        try:
            native = _native()
        except ImportError:
            return key_type, 0
        native_type, bits = native.public_key_info(blob)
        return native_type, bits
    if off != len(blob):
        raise SSHException("Invalid key: trailing data after the key")
    return key_type, bits


_PLAIN_FIELD_COUNT = {"ssh-rsa": 2, "ssh-ed25519": 1, "ssh-dss": 4}
for _t in _ECDSA_CURVES:
    _PLAIN_FIELD_COUNT[_t] = 2


def _cert_to_plain_blob(blob):
    """The plain public key blob embedded in an OpenSSH certificate blob
    (``<type>-cert-v01@openssh.com``: type, nonce, key fields, ...)."""
    cert_type = _blob_type(blob)
    plain_type = _plain_type(cert_type)
    count = _PLAIN_FIELD_COUNT.get(plain_type)
    if count is None:
        raise SSHException("Unsupported certificate type: {}".format(cert_type))
    _, off = _read_string(blob, 0)
    _nonce, off = _read_string(blob, off)
    fields = []
    for _ in range(count):
        value, off = _read_string(blob, off)
        fields.append(value)
    return b"".join(
        _pack_string(x) for x in [plain_type.encode("ascii")] + fields
    )


def _to_passphrase(password):
    if password is None:
        return None
    if isinstance(password, str):
        return password.encode("utf-8")
    return bytes(password)


def _warn_if_exposed(fileno, filename):
    """Warn (once per load) about a private key file others can access:
    OpenSSH refuses such a file; paramiko, and so ferrosftp, use it."""
    try:
        mode = os.fstat(fileno).st_mode
    except OSError:
        return
    if mode & 0o077:
        warnings.warn(
            "private key file {} is accessible by others (mode {:04o}); "
            "OpenSSH would refuse it: chmod 600 it".format(
                os.fsdecode(filename), mode & 0o7777
            ),
            UserWarning,
            stacklevel=4,
        )


def _read_key_source(filename=None, file_obj=None):
    if file_obj is not None:
        data = file_obj.read()
    else:
        with open(filename, "rb") as f:
            _warn_if_exposed(f.fileno(), filename)
            data = f.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return bytes(data)


def _plain_type(key_type):
    """Key type without a certificate suffix."""
    if key_type.endswith(_CERT_SUFFIX):
        return key_type[: -len(_CERT_SUFFIX)]
    return key_type


# --- PublicBlob ------------------------------------------------------------------


class PublicBlob:
    """An OpenSSH public key or certificate: type, blob and comment."""

    def __init__(self, type_, blob, comment=None):
        self.key_type = type_
        self.key_blob = bytes(blob)
        self.comment = comment

    @classmethod
    def from_file(cls, filename):
        """Read a ``.pub`` (or ``-cert.pub``) file."""
        with open(filename) as f:
            string = f.read()
        return cls.from_string(string)

    @classmethod
    def from_string(cls, string):
        """Parse ``"<type> <base64> [comment]"``."""
        fields = string.split(None, 2)
        if len(fields) < 2:
            raise ValueError(
                "Not enough fields for public blob: {}".format(fields)
            )
        key_type = fields[0]
        key_blob = base64.b64decode(fields[1])
        comment = fields[2].strip() if len(fields) > 2 else None
        blob_type = _blob_type(key_blob)
        if blob_type != key_type:
            raise ValueError(
                "Invalid PublicBlob contents: key type={!r}, but blob "
                "type={!r}".format(key_type, blob_type)
            )
        return cls(type_=key_type, blob=key_blob, comment=comment)

    @classmethod
    def from_message(cls, message):
        """From an object with ``asbytes()`` (a paramiko ``Message``) or
        raw bytes."""
        raw = message.asbytes() if hasattr(message, "asbytes") else message
        raw = bytes(raw)
        return cls(type_=_blob_type(raw), blob=raw)

    def __str__(self):
        ret = "{} public key/certificate".format(self.key_type)
        if self.comment:
            ret += "- {}".format(self.comment)
        return ret

    def __eq__(self, other):
        return (
            isinstance(other, PublicBlob) and self.key_blob == other.key_blob
        )

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.key_blob)


# --- PKey -----------------------------------------------------------------------------


class PKey:
    """Base class for public (and private) keys.

    Subclasses take paramiko's constructor keywords (``msg``, ``data``,
    ``filename``, ``password``, ``file_obj``...).  ``PKey`` itself can load
    any supported type through :meth:`from_private_key_file`,
    :meth:`from_private_key` and :meth:`from_path`, returning the right
    subclass.
    """

    #: blob key types this class accepts (empty: any supported type)
    _KEY_TYPES = ()
    #: human name for messages ("RSA", "EC"...)
    _LABEL = "SSH"

    def __init__(self, msg=None, data=None):
        self._init_empty()
        if msg is not None or data is not None:
            self._load_public(msg=msg, data=data)

    def _init_empty(self):
        self._key_type = None
        self._blob = None
        self._bits = 0
        self._private_bytes = None
        self._passphrase = None
        self._comment = None
        self.public_blob = None

    # -- loading ------------------------------------------------------------------------

    def _accepts(self, key_type):
        return not self._KEY_TYPES or _plain_type(key_type) in self._KEY_TYPES

    def _load_public(self, msg=None, data=None):
        if data is None and msg is not None:
            data = msg.asbytes() if hasattr(msg, "asbytes") else msg
        if data is None:
            raise SSHException("Key object may not be empty")
        blob = bytes(data)
        cert = None
        if _blob_type(blob).endswith(_CERT_SUFFIX):
            # a certificate: the key is the one embedded in it (paramiko
            # keeps the certificate as ``public_blob``)
            cert = PublicBlob(_blob_type(blob), blob)
            blob = _cert_to_plain_blob(blob)
        key_type, bits = _parse_public_blob(blob)
        if not self._accepts(key_type):
            raise SSHException(
                "Invalid key: expected {} key, got {}".format(
                    self._LABEL, key_type
                )
            )
        self._key_type = key_type
        self._blob = blob
        self._bits = bits
        if cert is not None:
            self.public_blob = cert

    def _load_private(self, data, password):
        passphrase = _to_passphrase(password)
        key_type, blob, bits, comment = _native().parse_private_key(
            data, passphrase
        )
        if key_type == "ssh-dss":
            raise SSHException(_DSA_UNSUPPORTED)
        if not self._accepts(key_type):
            raise SSHException(
                "not a valid {} private key file (it holds a {} key)".format(
                    self._LABEL, key_type
                )
            )
        self._key_type = key_type
        self._blob = bytes(blob)
        self._bits = bits
        self._comment = comment or None
        self._private_bytes = data
        self._passphrase = passphrase

    def _load_from_sources(
        self, msg=None, data=None, filename=None, password=None, file_obj=None
    ):
        """Shared constructor logic: private key file / file object first,
        then a public blob (``data`` or ``msg``)."""
        if file_obj is not None or filename is not None:
            raw = _read_key_source(filename=filename, file_obj=file_obj)
            self._load_private(raw, password)
            return
        self._load_public(msg=msg, data=data)

    def _load_crypto_key(self, key):
        """Accept a ``cryptography`` key object (paramiko's ``key=``/``vals=``
        arguments) by serialising it to OpenSSH format."""
        try:
            from cryptography.hazmat.primitives import serialization
        except ImportError:  # pragma: no cover - depends on environment
            raise SSHException(
                "passing a key object needs the 'cryptography' package"
            )
        if hasattr(key, "private_bytes"):
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption(),
            )
            self._load_private(pem, None)
            return
        if hasattr(key, "public_bytes"):
            line = key.public_bytes(
                serialization.Encoding.OpenSSH,
                serialization.PublicFormat.OpenSSH,
            )
            self._load_public(data=base64.b64decode(line.split()[1]))
            return
        raise SSHException("unsupported key object: {!r}".format(type(key)))

    @classmethod
    def from_private_key_file(cls, filename, password=None):
        """Load a private key file (OpenSSH or PEM format).

        On a subclass the file must hold that type of key (else
        ``SSHException``); on ``PKey`` itself the type is detected.

        :raises FileNotFoundError: (``IOError``) if the file can't be read
        :raises PasswordRequiredException: encrypted and no ``password``
        :raises SSHException: wrong passphrase, wrong key type, bad file
        """
        if cls is PKey:
            raw = _read_key_source(filename=filename)
            return _key_from_private_bytes(raw, password)
        return cls(filename=filename, password=password)

    @classmethod
    def from_private_key(cls, file_obj, password=None):
        """Like :meth:`from_private_key_file`, from a file-like object (text
        or binary)."""
        if cls is PKey:
            raw = _read_key_source(file_obj=file_obj)
            return _key_from_private_bytes(raw, password)
        return cls(file_obj=file_obj, password=password)

    @staticmethod
    def from_path(path, passphrase=None, password=None):
        """Load the private key at ``path`` (``~`` expanded), whatever its
        type, returning the matching subclass.  A certificate at
        ``<path>-cert.pub`` is loaded too; ``path`` may also name the
        certificate itself.

        :raises UnknownKeyType: for unsupported algorithms (e.g. DSA)
        """
        if passphrase is None:
            passphrase = password
        path = str(path)
        cert_suffix = "-cert.pub"
        if path.endswith(cert_suffix):
            key_path = path[: -len(cert_suffix)]
            cert_path = path
        else:
            key_path = path
            cert_path = path + cert_suffix
        key_path = Path(key_path).expanduser()
        cert_path = Path(cert_path).expanduser()
        with open(key_path, "rb") as f:
            _warn_if_exposed(f.fileno(), key_path)
            data = f.read()
        key = _key_from_private_bytes(data, passphrase, strict_unknown=True)
        if cert_path.exists():
            key.load_certificate(str(cert_path))
        return key

    @staticmethod
    def from_type_string(key_type, key_bytes):
        """A public key object of the class handling ``key_type``, built
        from the public blob ``key_bytes``.

        :raises UnknownKeyType: if no class handles ``key_type``
        """
        for key_class in key_classes:
            if key_type in key_class.identifiers():
                return key_class(data=key_bytes)
        raise UnknownKeyType(key_type=key_type, key_bytes=key_bytes)

    @classmethod
    def identifiers(cls):
        """Key format names this class handles."""
        return list(cls._KEY_TYPES)

    # -- the public part --------------------------------------------------------------

    def asbytes(self):
        """The public key blob (SSH wire format)."""
        return self._blob if self._blob is not None else bytes()

    def __bytes__(self):
        return self.asbytes()

    @property
    def _fields(self):
        return (self.get_name(), self.asbytes())

    def __eq__(self, other):
        return isinstance(other, PKey) and self._fields == other._fields

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._fields)

    def __repr__(self):
        comment = ""
        if getattr(self, "comment", None):
            comment = ", comment={!r}".format(self.comment)
        return "PKey(alg={}, bits={}, fp={}{})".format(
            self.algorithm_name, self.get_bits(), self.fingerprint, comment
        )

    def get_name(self):
        """The SSH name of the key type, e.g. ``'ssh-rsa'``."""
        return self._key_type or ""

    @property
    def algorithm_name(self):
        """The bare algorithm, e.g. ``'RSA'``, ``'ECDSA'``, ``'ED25519'``."""
        name = self.get_name().replace("ssh-", "")
        cert_tail = "-cert-v01@openssh.com"
        if cert_tail in name:
            name = name.replace(cert_tail, "-cert")
        else:
            name = name.split("-")[0]
        return name.upper()

    def get_bits(self):
        """Number of significant bits in the key."""
        return self._bits

    def can_sign(self):
        """``True`` if the private part is loaded."""
        return self._private_bytes is not None

    def get_fingerprint(self):
        """16 raw bytes: the MD5 digest of the public blob."""
        return hashlib.md5(self.asbytes()).digest()

    @property
    def fingerprint(self):
        """OpenSSH-style ``'SHA256:<base64, unpadded>'``."""
        digest = hashlib.sha256(self.asbytes()).digest()
        b64 = base64.b64encode(digest).decode("ascii").rstrip("=")
        return "SHA256:{}".format(b64)

    def get_base64(self):
        """Base64 of the public blob, as in ``.pub``/known_hosts files."""
        return base64.b64encode(self.asbytes()).decode("ascii")

    # -- signing (done by the SSH layer) ------------------------------------------------

    def sign_ssh_data(self, data, algorithm=None):
        """Not available: signatures are made inside the Rust SSH layer
        during authentication, which is the only place they are needed."""
        raise NotImplementedError(
            "ferrosftp signs inside its SSH layer; sign_ssh_data is not "
            "available"
        )

    def verify_ssh_sig(self, data, msg):
        """Not available (host key signatures are verified by the SSH
        layer during the handshake)."""
        raise NotImplementedError(
            "ferrosftp verifies signatures inside its SSH layer; "
            "verify_ssh_sig is not available"
        )

    # -- writing --------------------------------------------------------------------------

    def _private_text_for(self, password):
        if self._private_bytes is None:
            raise NotImplementedError(
                "this key has no private part loaded; nothing to write"
            )
        wanted = _to_passphrase(password)
        if wanted == self._passphrase:
            # the original file text is exactly what was asked for
            return self._private_bytes
        if wanted is None:
            raise NotImplementedError(
                "writing a decrypted copy of an encrypted key is not "
                "supported; pass the key's passphrase to write it encrypted"
            )
        raise NotImplementedError(
            "re-encrypting a private key with a new password is not "
            "supported (use ssh-keygen -p)"
        )

    def write_private_key_file(self, filename, password=None):
        """Write the private key to ``filename`` (created with mode 0600).

        The key is written exactly as it was loaded: this works when no
        ``password`` is given for a key that was loaded unencrypted, or when
        ``password`` equals the passphrase the key was loaded with.  Any
        other request (decrypting, re-encrypting, a public-only key) raises
        ``NotImplementedError``; key conversion is left to ``ssh-keygen``.
        """
        text = self._private_text_for(password)
        fd = os.open(filename, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            # an existing file keeps its mode through O_CREAT: make it 0600
            # before any key byte is written (CVE-2022-24302)
            os.fchmod(fd, 0o600)
            f.write(text)

    def write_private_key(self, file_obj, password=None):
        """Write the private key text to a file-like object; same rules as
        :meth:`write_private_key_file`."""
        text = self._private_text_for(password)
        try:
            file_obj.write(text.decode("utf-8"))
        except TypeError:
            file_obj.write(text)

    # -- certificates ---------------------------------------------------------------------

    def load_certificate(self, value):
        """Attach an OpenSSH certificate (a path, the text of a
        ``-cert.pub`` file, or a message object) as ``public_blob``.

        :raises ValueError: if the certificate is for another key type
        """
        if hasattr(value, "asbytes"):
            blob = PublicBlob.from_message(value)
        elif os.path.isfile(str(value)):
            blob = PublicBlob.from_file(str(value))
        else:
            blob = PublicBlob.from_string(value)
        if not blob.key_type.startswith(self.get_name()):
            raise ValueError(
                "PublicBlob type {} incompatible with key type {}".format(
                    blob.key_type, self.get_name()
                )
            )
        self.public_blob = blob

    # -- key generation via ssh-keygen ----------------------------------------------------

    @classmethod
    def _generate_with_ssh_keygen(cls, key_type, bits, pem=False):
        exe = shutil.which("ssh-keygen")
        if exe is None:
            raise NotImplementedError(
                "key generation needs the ssh-keygen program"
            )
        tmpdir = tempfile.mkdtemp(prefix="ferrosftp-keygen-")
        try:
            path = os.path.join(tmpdir, "key")
            cmd = [exe, "-q", "-t", key_type, "-N", "", "-C", "", "-f", path]
            if bits is not None:
                cmd[4:4] = ["-b", str(bits)]
            if pem:
                cmd[4:4] = ["-m", "PEM"]
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            if proc.returncode != 0:
                raise SSHException(
                    "ssh-keygen failed: {}".format(
                        proc.stderr.decode("utf-8", "replace").strip()
                    )
                )
            return cls.from_private_key_file(path)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _key_from_private_bytes(data, password, strict_unknown=False):
    """Parse private key bytes of any supported type into the right
    subclass."""
    passphrase = _to_passphrase(password)
    key_type, blob, bits, comment = _native().parse_private_key(
        data, passphrase
    )
    cls = _class_for_type(key_type)
    if cls is None:
        if strict_unknown:
            raise UnknownKeyType(key_type=key_type, key_bytes=data)
        if key_type == "ssh-dss":
            raise SSHException(_DSA_UNSUPPORTED)
        raise SSHException("Unsupported key type: {}".format(key_type))
    key = cls.__new__(cls)
    key._init_empty()
    key._key_type = key_type
    key._blob = bytes(blob)
    key._bits = bits
    key._comment = comment or None
    key._private_bytes = data
    key._passphrase = passphrase
    return key


def _class_for_type(key_type):
    plain = _plain_type(key_type)
    for key_class in key_classes:
        if plain in key_class._KEY_TYPES:
            return key_class
    return None


def _from_blob(blob):
    """A public key object for the blob: ``RSAKey``, ``ECDSAKey`` or
    ``Ed25519Key``; for other well-formed blobs (e.g. a DSA host key) a
    generic public-only :class:`PKey`.

    :raises SSHException: if the blob is malformed
    """
    blob = bytes(blob)
    key_type = _blob_type(blob)
    cls = _class_for_type(key_type)
    if cls is not None:
        return cls(data=blob)
    return PKey(data=blob)


# --- concrete key classes -------------------------------------------------------------


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
        _, off = _read_string(self.asbytes(), 0)
        e, off = _read_string(self.asbytes(), off)
        n, _ = _read_string(self.asbytes(), off)
        return _RSAPublicNumbers(
            int.from_bytes(e, "big"), int.from_bytes(n, "big")
        )

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


class ECDSAKey(PKey):
    """An ECDSA key on NIST P-256, P-384 or P-521."""

    _KEY_TYPES = tuple(_ECDSA_CURVES)
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
        return list(_ECDSA_CURVES)

    @classmethod
    def identifiers(cls):
        return list(_ECDSA_CURVES)

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


class Ed25519Key(PKey):
    """An Ed25519 key."""

    name = "ssh-ed25519"
    _KEY_TYPES = ("ssh-ed25519",)
    _LABEL = "Ed25519"

    def __init__(
        self, msg=None, data=None, filename=None, password=None, file_obj=None
    ):
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


#: the key classes tried for a key type, in paramiko 5's order
key_classes = [RSAKey, Ed25519Key, ECDSAKey]
