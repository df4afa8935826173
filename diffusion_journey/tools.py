"""System tools the pipeline shells out to, with an error naming the Debian package when missing."""

from __future__ import annotations

import shutil


class MissingToolError(RuntimeError):
    pass


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MissingToolError(
            f"'{name}' not found: install the Debian package '{package}' "
            f"(run 'sudo bash scripts/install_system_deps.sh' or 'apt-get install {package}')"
        )
    return path
