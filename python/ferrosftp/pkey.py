"""SSH keys: the base class ``PKey``, ``PublicBlob`` and what the key
modules share (``paramiko.pkey``).

The key classes live in their paramiko-named modules: ``RSAKey`` in
:mod:`ferrosftp.rsakey`, ``ECDSAKey`` in :mod:`ferrosftp.ecdsakey`,
``Ed25519Key`` in :mod:`ferrosftp.ed25519key`, ``DSSKey`` in
:mod:`ferrosftp.dsskey`; ``ferrosftp.key_classes`` lists the ones a key type
is looked up in.  Supported: RSA, ECDSA (NIST P-256/384/521) and Ed25519, in
OpenSSH or PEM private key files; DSA is gone from paramiko 4.0 and OpenSSH.

A key object here is a *container*: it holds the public key blob (the SSH
wire encoding, e.g. ``string "ssh-ed25519" + string <32 bytes>``), the key's
type and size, and, for private keys, the original key file bytes and
passphrase.  Parsing of public key blobs and of (encrypted) private key files
is done by the Rust core (``_native.public_key_info``,
``_native.parse_private_key``); signing happens inside the SSH layer during
authentication, which receives ``_private_bytes`` and ``_passphrase``.  Those
two attributes are never shown by ``repr``/``str``.
"""

import base64
import hashlib
import importlib
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from . import _native
from .ssh_exception import SSHException

__all__ = ["PKey", "PublicBlob", "UnknownKeyType"]

_DSA_UNSUPPORTED = "DSA keys are not supported (removed in paramiko 4.0 and OpenSSH)"

_CERT_SUFFIX = "-cert-v01@openssh.com"


class UnknownKeyType(Exception):
    """A public/private key algorithm we cannot handle was met."""

    def __init__(self, key_type=None, key_bytes=None):
        self.key_type = key_type
        self.key_bytes = key_bytes

    def __str__(self):
        size = len(self.key_bytes) if self.key_bytes is not None else 0
        return "UnknownKeyType(type={!r}, bytes=<{}>)".format(self.key_type, size)


# --- what the Rust core does not tell about a key blob ------------------------
#
# _native.public_key_info checks a plain public key blob and gives its type and
# size. It cannot name the type of a blob it does not parse (a certificate, an
# agent key of an unknown type), nor give the key inside a certificate, an RSA
# key's numbers or a DSA key's size: those few fields are read here.


def _read_string(data, offset):
    """The SSH ``string`` field at ``offset``: (its bytes, the next offset)."""
    if offset + 4 > len(data):
        raise SSHException("Invalid key: truncated data")
    n = int.from_bytes(data[offset : offset + 4], "big")
    end = offset + 4 + n
    if end > len(data):
        raise SSHException("Invalid key: truncated data")
    return data[offset + 4 : end], end


def _blob_type(blob):
    """The key type named at the start of a public key blob."""
    raw, _ = _read_string(blob, 0)
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise SSHException("Invalid key: bad key type")


def _plain_type(key_type):
    """Key type without a certificate suffix."""
    if key_type.endswith(_CERT_SUFFIX):
        return key_type[: -len(_CERT_SUFFIX)]
    return key_type


# Fields after the type in a plain key blob; a certificate holds the same
# fields right after its nonce.
_KEY_FIELD_COUNT = {
    "ssh-rsa": 2,
    "ssh-ed25519": 1,
    "ssh-dss": 4,
    "ecdsa-sha2-nistp256": 2,
    "ecdsa-sha2-nistp384": 2,
    "ecdsa-sha2-nistp521": 2,
}


def _cert_to_plain_blob(blob, cert_type):
    """The plain public key blob embedded in an OpenSSH certificate blob
    (``<type>-cert-v01@openssh.com``: type, nonce, key fields, ...)."""
    plain_type = _plain_type(cert_type)
    count = _KEY_FIELD_COUNT.get(plain_type)
    if count is None:
        raise SSHException("Unsupported certificate type: {}".format(cert_type))
    _, off = _read_string(blob, 0)
    _nonce, off = _read_string(blob, off)
    plain = [plain_type.encode("ascii")]
    for _ in range(count):
        value, off = _read_string(blob, off)
        plain.append(value)
    return b"".join(len(x).to_bytes(4, "big") + x for x in plain)


def _public_key_info(blob):
    """``(key_type, bits)`` of a plain public key blob, checked by the Rust
    core (``SSHException`` if malformed)."""
    key_type, bits = _native.public_key_info(blob)
    if key_type == "ssh-dss":
        # the Rust core sizes no DSA key (DSA is gone from OpenSSH and
        # paramiko; a DSA host key is still shown): the size of p
        _, off = _read_string(blob, 0)
        p, _ = _read_string(blob, off)
        bits = int.from_bytes(p, "big").bit_length()
    return key_type, bits


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
            "private key file {} is accessible by others (mode {:04o}); OpenSSH would refuse it: chmod 600 it".format(
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
            raise ValueError("Not enough fields for public blob: {}".format(fields))
        key_type = fields[0]
        key_blob = base64.b64decode(fields[1])
        comment = fields[2].strip() if len(fields) > 2 else None
        blob_type = _blob_type(key_blob)
        if blob_type != key_type:
            raise ValueError(
                "Invalid PublicBlob contents: key type={!r}, but blob type={!r}".format(key_type, blob_type)
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
        return isinstance(other, PublicBlob) and self.key_blob == other.key_blob

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
        self._signing = None
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
        blob_type = _blob_type(blob)
        cert = None
        if blob_type.endswith(_CERT_SUFFIX):
            # a certificate: the key is the one embedded in it (paramiko
            # keeps the certificate as ``public_blob``)
            cert = PublicBlob(blob_type, blob)
            blob = _cert_to_plain_blob(blob, blob_type)
        key_type, bits = _public_key_info(blob)
        if not self._accepts(key_type):
            raise SSHException("Invalid key: expected {} key, got {}".format(self._LABEL, key_type))
        self._key_type = key_type
        self._blob = blob
        self._bits = bits
        if cert is not None:
            self.public_blob = cert

    def _load_private(self, data, password):
        passphrase = _to_passphrase(password)
        parsed = _native.parse_private_key(data, passphrase)
        key_type = parsed[0]
        if key_type == "ssh-dss":
            raise SSHException(_DSA_UNSUPPORTED)
        if not self._accepts(key_type):
            raise SSHException("not a valid {} private key file (it holds a {} key)".format(self._LABEL, key_type))
        self._take_private(data, passphrase, parsed)

    def _take_private(self, data, passphrase, parsed):
        """Hold a private key file's bytes, with what the Rust core parsed
        from them (decrypting them if need be): ``(type, public blob, bits,
        comment, decrypted copy or None)``."""
        self._key_type, blob, self._bits, _comment, decrypted = parsed
        self._blob = bytes(blob)
        self._private_bytes = data
        self._passphrase = passphrase
        # What the SSH layer signs with: the copy decrypted here when there is
        # one, so an OpenSSH key's bcrypt KDF runs once per key, not per login.
        self._signing = (bytes(decrypted), None) if decrypted is not None else (data, passphrase)

    def _load_from_sources(self, msg=None, data=None, filename=None, password=None, file_obj=None):
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
            raise SSHException("passing a key object needs the 'cryptography' package")
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
        for key_class in _key_classes():
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
        return "PKey(alg={}, bits={}, fp={}{})".format(self.algorithm_name, self.get_bits(), self.fingerprint, comment)

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
        raise NotImplementedError("ferrosftp signs inside its SSH layer; sign_ssh_data is not available")

    def verify_ssh_sig(self, data, msg):
        """Not available (host key signatures are verified by the SSH
        layer during the handshake)."""
        raise NotImplementedError("ferrosftp verifies signatures inside its SSH layer; verify_ssh_sig is not available")

    # -- writing --------------------------------------------------------------------------

    def _private_text_for(self, password):
        if self._private_bytes is None:
            raise NotImplementedError("this key has no private part loaded; nothing to write")
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
            "re-encrypting a private key with a new password is not supported (use ssh-keygen -p)"
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
            raise ValueError("PublicBlob type {} incompatible with key type {}".format(blob.key_type, self.get_name()))
        self.public_blob = blob

    # -- key generation via ssh-keygen ----------------------------------------------------

    @classmethod
    def _generate_with_ssh_keygen(cls, key_type, bits, pem=False):
        exe = shutil.which("ssh-keygen")
        if exe is None:
            raise NotImplementedError("key generation needs the ssh-keygen program")
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
                raise SSHException("ssh-keygen failed: {}".format(proc.stderr.decode("utf-8", "replace").strip()))
            return cls.from_private_key_file(path)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _key_from_private_bytes(data, password, strict_unknown=False):
    """Parse private key bytes of any supported type into the right
    subclass."""
    passphrase = _to_passphrase(password)
    parsed = _native.parse_private_key(data, passphrase)
    key_type = parsed[0]
    cls = _class_for_type(key_type)
    if cls is None:
        if strict_unknown:
            raise UnknownKeyType(key_type=key_type, key_bytes=data)
        if key_type == "ssh-dss":
            raise SSHException(_DSA_UNSUPPORTED)
        raise SSHException("Unsupported key type: {}".format(key_type))
    key = cls.__new__(cls)
    key._init_empty()
    key._take_private(data, passphrase, parsed)
    return key


def _key_classes():
    """paramiko's registry, ``ferrosftp.key_classes``: read at each call, as
    paramiko does (the key modules import this one, and users may extend
    the list)."""
    from . import key_classes

    return key_classes


def _class_for_type(key_type):
    plain = _plain_type(key_type)
    for key_class in _key_classes():
        if plain in key_class.identifiers():
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


# The key classes were importable from here before they moved to their
# paramiko-named modules (which import this one): resolved on first use.
_MOVED = {
    "RSAKey": "rsakey",
    "ECDSAKey": "ecdsakey",
    "Ed25519Key": "ed25519key",
    "DSSKey": "dsskey",
}


def __getattr__(name):
    if name in _MOVED:
        module = importlib.import_module("." + _MOVED[name], __package__)
        return getattr(module, name)
    raise AttributeError("module {!r} has no attribute {!r}".format(__name__, name))
