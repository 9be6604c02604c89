"""Bad operator input gets a message naming what is wrong, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli.app import app
from crawler.seeds import read_seeds_csv, seed_host

runner = CliRunner()


def _invoke(*args: str, tmp_path: Path):
    env = {"NIANBAO_DATA_DIR": str(tmp_path / "data")}
    return runner.invoke(app, list(args), env=env)


def test_seeds_folder_and_bad_port_are_messages(tmp_path):
    with pytest.raises(ValueError, match="a folder"):
        read_seeds_csv(tmp_path)
    with pytest.raises(ValueError, match="out of range|port"):
        seed_host("http://www.example.gov.cn:99999/")
    result = _invoke("crawl", "--seeds", str(tmp_path), tmp_path=tmp_path)
    assert result.exit_code == 2 and "a folder" in result.output and "Traceback" not in result.output
    result = _invoke("crawl", "http://www.example.gov.cn:99999/", tmp_path=tmp_path)
    assert result.exit_code == 2 and "99999" in result.output


@pytest.mark.parametrize(("setting", "words"), [("DOWNLOAD_DELAY=abc", "a number"), ("ROBOTSTXT_OBEY=maybe", "true or false"),
                                                ("CONCURRENT_REQUESTS=many", "a number"),
                                                ("NIANBAO_ALLOW_PRIVATE=127.0.0.0/99", "NIANBAO_ALLOW_PRIVATE")])
def test_bad_setting_values_are_messages(tmp_path, setting, words):
    result = _invoke("crawl", "http://www.example.gov.cn/", "-s", setting, tmp_path=tmp_path)
    assert result.exit_code == 2 and words in result.output, result.output


def test_export_into_a_folder_or_unwritable_place(tmp_path):
    result = _invoke("export", "--out", str(tmp_path), tmp_path=tmp_path)
    assert result.exit_code == 2 and "is a folder" in result.output
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = _invoke("export", "--out", str(locked / "x" / "out.jsonl"), tmp_path=tmp_path)
        assert result.exit_code == 2 and "cannot write" in result.output


def test_reprocess_unknown_kind(tmp_path):
    result = _invoke("reprocess", "--kind", "zzz", tmp_path=tmp_path)
    assert result.exit_code == 2 and "unknown kind 'zzz'" in result.output


def test_unwritable_raw_store_stops_the_crawl(tmp_path, monkeypatch):
    from crawler.cli import crawl_cmd

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", refuse)
    with pytest.raises(Exception) as info:  # typer.Exit
        crawl_cmd.check_raw_store(tmp_path / "raw")
    assert getattr(info.value, "exit_code", None) == 1
