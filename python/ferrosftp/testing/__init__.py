"""Helpers for testing code that talks SSH, on 127.0.0.1 only (standard
library only; they need OpenSSH's sshd and ssh-keygen installed):

* :class:`SshdServer` (:mod:`ferrosftp.testing.sshd`): a throwaway OpenSSH
  server with generated keys, a known_hosts file and a scratch directory;
* :class:`FaultProxy` (:mod:`ferrosftp.testing.faultproxy`): a TCP proxy
  that adds latency or a bandwidth cap, and cuts, stalls or corrupts
  connections on cue.

ferrosftp's own test suite, its benchmarks (bench/) and ``ferrosftp demo``
use them.
"""

from .faultproxy import FaultProxy
from .sshd import KEY_PASSPHRASE, TEST_USER, SshdError, SshdMissing, SshdServer, rmtree

__all__ = ["FaultProxy", "KEY_PASSPHRASE", "SshdError", "SshdMissing", "SshdServer", "TEST_USER", "rmtree"]
