"""deploy/nginx-pantau.conf is a configuration nginx accepts (`nginx -t`), and a typo is not.

The guide test runs the guide's nginx blocks and serves through nginx (tests/deploy/proxy.py);
this checks the example as it is, with a throwaway certificate in place of the Let's Encrypt
one, and that `nginx -t` catches a typo in it.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.deploy.guide import DEPLOY

LETSENCRYPT = "/etc/letsencrypt/live/pantau.example.go.id"


def _nginx_t(tmp_path, site: str) -> subprocess.CompletedProcess:
    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not shutil.which(nginx) or openssl is None:
        pytest.skip(
            "nginx or openssl is not installed (Debian: `make system-deps` adds nginx-light)"
        )
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=pantau.example.go.id", "-keyout", str(certs / "privkey.pem")]
        + ["-out", str(certs / "fullchain.pem")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    (tmp_path / "site.conf").write_text(site.replace(LETSENCRYPT, str(certs)))
    # What Debian's /etc/nginx/nginx.conf gives a site: an http block that includes it.
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n"
        f"  client_body_temp_path {tmp_path}/body;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        + ["-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nginx__the_example_passes_nginx_t(tmp_path):
    site = (DEPLOY / "nginx-pantau.conf").read_text()
    assert LETSENCRYPT in site
    done = _nginx_t(tmp_path, site)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_nginx__a_typo_fails_nginx_t(tmp_path):
    site = (DEPLOY / "nginx-pantau.conf").read_text()
    done = _nginx_t(
        tmp_path, site.replace("proxy_request_buffering on;", "proxy_request_bufering on;")
    )
    assert done.returncode != 0 and "proxy_request_bufering" in done.stderr
