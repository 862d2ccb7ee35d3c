"""Which network interface the dashboard listens on.

Local single-user mode makes everyone who can reach the server an admin, so it listens on
127.0.0.1 only. With sign-in configured (an `[auth]` section in a secrets.toml Streamlit
reads) every page needs a login, so it listens on every interface. IMPACT_ADDRESS, or
`impact app --address`, overrides both.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

from impact.errors import InvalidInput

ADDRESS_ENV = "IMPACT_ADDRESS"
LOCAL = "127.0.0.1"
EVERYWHERE = "0.0.0.0"
APP = Path(__file__).resolve().parents[1] / "app.py"


def secrets_files(cwd: Path | None = None, home: Path | None = None) -> list[Path]:
    """Where Streamlit looks for secrets.toml: the project's .streamlit, then the user's."""
    cwd = cwd or Path.cwd()
    home = home or Path.home()
    return [cwd / ".streamlit" / "secrets.toml", home / ".streamlit" / "secrets.toml"]


def sign_in_configured(files: list[Path]) -> bool:
    for file in files:
        if not file.is_file():
            continue
        try:
            if "auth" in tomllib.loads(file.read_text()):
                return True
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(
                f"{file} is not valid TOML ({exc}); fix it and start again."
            ) from exc
    return False


def server_address(
    explicit: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    files: list[Path] | None = None,
) -> str:
    """The address asked for, else every interface with sign-in, else 127.0.0.1."""
    environ = os.environ if environ is None else environ
    asked = explicit or environ.get(ADDRESS_ENV, "").strip()
    if asked:
        return asked
    return EVERYWHERE if sign_in_configured(secrets_files() if files is None else files) else LOCAL


def streamlit_command(address: str, port: int | None = None) -> list[str]:
    """`streamlit run app.py` bound to `address` (a flag beats .streamlit/config.toml)."""
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", address]
    if port is not None:
        command += ["--server.port", str(port)]
    return command
