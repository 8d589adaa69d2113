import os

from demo.processes import demo_secrets


def test_demo_secrets__file_is_rewritten_0600_even_when_it_exists(tmp_path, monkeypatch):
    for var in ("PANTAU_PSEUDONYM_KEY", "PANTAU_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "var" / "demo.env"
    path.parent.mkdir()
    path.write_text("PANTAU_WEBHOOK_TOKEN=kept\n")
    path.chmod(0o644)
    values = demo_secrets(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert values["PANTAU_WEBHOOK_TOKEN"] == "kept"
    assert len(values["PANTAU_PSEUDONYM_KEY"]) >= 32
    assert values["PANTAU_PSEUDONYM_KEY"] != values["PANTAU_SECRET_KEY"]
    assert demo_secrets(path) == values  # made once, reused after
    assert os.stat(path.parent).st_mode & 0o777 == 0o700
