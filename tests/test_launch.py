"""Local single-user mode (everyone is admin) listens on this machine only."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from impact.cli import app
from impact.errors import InvalidInput
from impact.launch import ADDRESS_ENV, server_address, streamlit_command

ROOT = Path(__file__).parents[1]
AUTH = '[auth]\nredirect_uri = "http://x/oauth2callback"\ncookie_secret = "s"\n'


def test_without_sign_in_the_app_listens_on_localhost_only(tmp_path):
    missing = [tmp_path / "none.toml"]
    assert server_address(environ={}, files=missing) == "127.0.0.1"
    other = tmp_path / "secrets.toml"
    other.write_text('[impact]\ndefault_role = "viewer"\n')  # secrets, but no sign-in
    assert server_address(environ={}, files=[other]) == "127.0.0.1"


def test_sign_in_or_an_explicit_request_binds_as_asked(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(AUTH)
    assert server_address(environ={}, files=[secrets]) == "0.0.0.0"
    none = [tmp_path / "none.toml"]
    assert server_address(environ={ADDRESS_ENV: "10.0.0.5"}, files=none) == "10.0.0.5"
    assert server_address("0.0.0.0", environ={ADDRESS_ENV: "10.0.0.5"}, files=none) == "0.0.0.0"
    assert server_address("127.0.0.1", environ={}, files=[secrets]) == "127.0.0.1"


def test_a_broken_secrets_file_is_reported(tmp_path):
    bad = tmp_path / "secrets.toml"
    bad.write_text("[auth\n")
    with pytest.raises(InvalidInput, match="secrets.toml is not valid TOML"):
        server_address(environ={}, files=[bad])


def test_the_command_and_the_config_bind_127_0_0_1_by_default(monkeypatch, tmp_path):
    command = streamlit_command("127.0.0.1", 8600)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("run") + 1] == str(ROOT / "app.py")
    # `streamlit run app.py` without the launcher reads .streamlit/config.toml
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert "impact app" in (ROOT / "Makefile").read_text()

    ran = []
    monkeypatch.setattr("subprocess.call", lambda cmd: ran.append(cmd) or 0)
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.setenv("HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["app", "--port", "8600"])
    assert result.exit_code == 0, result.output
    [cmd] = ran
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert "this machine only" in result.output
