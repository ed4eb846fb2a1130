#!/usr/bin/env bash
# The main job: build ferrosftp into ./.venv and run `ferrosftp demo`.
# With no argument the demo starts a throwaway OpenSSH sshd on 127.0.0.1
# (temp dir, generated keys), uploads, lists, downloads and verifies a file
# tree, prints the throughput and cleans up. `bash scripts/demo.sh user@host:dir`
# runs the same against a server of yours.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if [ ! -x /usr/sbin/sshd ] && [ "$#" -eq 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server openssh-client
    else
        echo "The demo needs OpenSSH's sshd: sudo apt-get install openssh-server" >&2
        exit 1
    fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check maturin
.venv/bin/maturin build --release --out dist --interpreter .venv/bin/python
.venv/bin/python -m pip install -q --disable-pip-version-check --force-reinstall "$(ls -t dist/ferrosftp-*.whl | head -n1)"
exec .venv/bin/ferrosftp demo "$@"
