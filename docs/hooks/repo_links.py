"""mkdocs hook: serve repository files that docs pages link to.

Pages under docs/ are also read on the forge, where a link such as
``../bench/snapshot/latest.png`` points at a file of the repository outside
docs/.  mkdocs only knows files inside docs/ and (with ``--strict``) fails on
such a link.  This hook copies each linked repository file that exists into
the site under ``_repo/`` and rewrites the link to it.  A link to a missing
file is left alone, so ``--strict`` still reports it.
"""

from __future__ import annotations

import os
import posixpath
import re

from mkdocs.structure.files import File

_LINK = re.compile(r"(\]\()(\.\./[^)\s#]+)")
_PREFIX = "_repo/"


def _repo_root(config) -> str:
    return os.path.dirname(os.path.abspath(config["config_file_path"]))


def _target(page_src_uri: str, link: str) -> str | None:
    """Repository-relative path of ``link`` made from the page at ``page_src_uri``
    (a docs/-relative path), or None if it stays inside docs/."""
    joined = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page_src_uri), link))
    if joined.startswith("docs/") or joined.startswith("..") or joined == "docs":
        return None
    return joined


def on_files(files, config):
    root = _repo_root(config)
    docs = config["docs_dir"]
    wanted = set()
    for f in files.documentation_pages():
        with open(os.path.join(docs, f.src_uri), encoding="utf-8") as fh:
            for _, link in _LINK.findall(fh.read()):
                target = _target(f.src_uri, link)
                if target and os.path.isfile(os.path.join(root, target)):
                    wanted.add(target)
    for target in sorted(wanted):
        files.append(File.generated(config, _PREFIX + target, abs_src_path=os.path.join(root, target)))
    return files


def on_page_markdown(markdown, page, config, files):
    root = _repo_root(config)

    def fix(m):
        target = _target(page.file.src_uri, m.group(2))
        if target is None or not os.path.isfile(os.path.join(root, target)):
            return m.group(0)
        depth = page.file.src_uri.count("/")
        return m.group(1) + "../" * depth + _PREFIX + target

    return _LINK.sub(fix, markdown)
