"""Finding, parsing and validating the configuration file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from framescribe import ConfigError, Framescribe, UnknownBackend
from framescribe.config import DEFAULT_CHAINS, find_config, load_config

MakeFs = Callable[..., Framescribe]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_search_order_explicit_then_env_then_cwd_then_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    user = tmp_path / "xdg" / "framescribe" / "config.toml"
    user.parent.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert find_config() is None
    write(user, "")
    assert find_config() == user
    local = write(tmp_path / "framescribe.toml", "")
    assert find_config() == Path("framescribe.toml")
    env = write(tmp_path / "env.toml", "")
    monkeypatch.setenv("FRAMESCRIBE_CONFIG", str(env))
    assert find_config() == env
    explicit = write(tmp_path / "explicit.toml", "")
    assert find_config(explicit) == explicit
    assert local.exists()


def test_no_config_means_the_offline_default_chains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.path is None and config.origin == "built-in default"
    assert config.chains == DEFAULT_CHAINS


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", '[capabilities]\nvideo_text = ["a",\n')
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    assert str(bad) in str(info.value) and "line" in str(info.value)


@pytest.mark.parametrize("nested", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a = " * 5000 + "1" + "}" * 5000],
                         ids=["arrays", "inline-tables"])
def test_deeply_nested_toml_is_a_config_error(tmp_path: Path, nested: str) -> None:
    with pytest.raises(ConfigError, match="nested too deeply to be a config"):
        load_config(write(tmp_path / "deep.toml", nested + "\n"))


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_unknown_capability_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown capability 'ocr'; valid: transcribe, video_text, image_ocr"):
        load_config(write(tmp_path / "c.toml", '[capabilities]\nocr = ["x"]\n'))


def test_unknown_backend_in_chain_names_file_and_installed_choices(make_fs: MakeFs, tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[capabilities]\nvideo_text = ["fake-echo", "tesseract"]\n')
    with pytest.raises(UnknownBackend) as info:
        make_fs(str(path))
    message = str(info.value)
    assert str(path) in message and "'tesseract'" in message
    assert "fake-bad, fake-down, fake-echo, fake-flaky" in message


def test_unknown_settings_key_lists_allowed_keys(make_fs: MakeFs, tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[backends.fake-echo]\nprefx = "x"\n')
    with pytest.raises(ConfigError) as info:
        make_fs(str(path))
    assert f"{path}: [backends.fake-echo] unknown key 'prefx'; allowed keys: prefix, api_key" == str(info.value)
    assert info.value.exit_code == 2


def test_wrongly_typed_setting_says_which_key(make_fs: MakeFs) -> None:
    with pytest.raises(ConfigError, match=r"\[backends.fake-echo\] prefix: Input should be a valid string"):
        make_fs({"backends": {"fake-echo": {"prefix": 3}}})


def test_env_references_fill_secrets_and_unset_ones_leave_the_default(make_fs: MakeFs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_PREFIX", "from-env")
    monkeypatch.delenv("FAKE_ECHO_KEY", raising=False)
    monkeypatch.delenv("UNSET_KEY", raising=False)
    fs = make_fs({"backends": {"fake-echo": {"prefix": "${MY_PREFIX}", "api_key": "${UNSET_KEY}"}}})
    settings = fs.settings_for("fake-echo")
    assert settings.prefix == "from-env"  # type: ignore[attr-defined]
    assert settings.api_key is None  # type: ignore[attr-defined]


def test_secret_defaults_to_its_environment_variable_and_is_masked(make_fs: MakeFs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_ECHO_KEY", "s3cr3t-value")
    fs = make_fs()
    settings = fs.settings_for("fake-echo")
    assert settings.api_key.get_secret_value() == "s3cr3t-value"  # type: ignore[attr-defined]
    assert "s3cr3t-value" not in repr(settings) and "s3cr3t-value" not in str(fs.effective_config())
    assert fs.effective_config()["backends"]["fake-echo"]["api_key"] == "********"


def test_partial_env_reference_to_unset_variable_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    path = write(tmp_path / "c.toml", '[backends.x]\nurl = "http://${NOT_SET_ANYWHERE}/v1"\n')
    with pytest.raises(ConfigError, match=r"\[backends.x\].url: environment variable NOT_SET_ANYWHERE is not set"):
        load_config(path)


def test_plugin_tables_are_kept_for_their_plugin_and_unclaimed_ones_are_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    from framescribe import config as config_module

    real = importlib.metadata.entry_points

    def entry_points(**kw: object) -> object:
        if kw.get("group") == config_module.TABLES_GROUP:
            return [importlib.metadata.EntryPoint("acme", "acme_plugin:Settings", config_module.TABLES_GROUP)]
        return real(**kw)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.setenv("ACME_TOKEN", "t0ken")
    monkeypatch.delenv("ACME_UNSET", raising=False)
    text = '[acme]\nport = 9\ntokens = ["${ACME_TOKEN}", "${ACME_UNSET}", "plain"]\nsecret = "${ACME_UNSET}"\n'
    config = load_config(write(tmp_path / "c.toml", text))
    assert config.tables == {"acme": {"port": 9, "tokens": ["t0ken", "plain"]}}  # unset ${VAR}s add nothing
    with pytest.raises(ConfigError, match=r"unknown table or key \['acmee'\]; allowed: capabilities, backends, cache, library, acme"):
        load_config(write(tmp_path / "typo.toml", "[acmee]\nport = 9\n"))
    with pytest.raises(ConfigError, match=r"\[acme\] must be a table"):
        load_config(write(tmp_path / "flat.toml", 'acme = "x"\n'))
