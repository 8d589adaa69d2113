"""nginx in the guide test: the Debian package's part and the operator's edits, in a folder.

On a server, `apt-get install nginx` puts an http block including `sites-enabled/*` into
/etc/nginx/nginx.conf and starts nginx as root; the operator copies deploy/nginx-pantau.conf
and sets the host name and the certificate. Here the test's user runs the real nginx from
the test's folder, so the ports (80, 443 and the web's 5000) and the folders nginx writes to
are moved into the test too, and the certificate is a throwaway one for 127.0.0.1 that the
test's HTTPS clients trust instead of a public authority.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.guide import SERVER_PORT

LETSENCRYPT = "/etc/letsencrypt/live/pantau.example.go.id"
EXAMPLE_HOST = "pantau.example.go.id"
# An address, not "localhost": a client trying ::1 first would find nothing there.
HOST = "127.0.0.1"


def nginx_binary() -> str | None:
    """The real nginx (the guide test puts a stand-in of the same name first on PATH)."""
    for candidate in ("/usr/sbin/nginx", "/usr/bin/nginx"):
        if Path(candidate).is_file():
            return candidate
    return shutil.which("nginx")


@dataclass(frozen=True)
class Proxy:
    base: Path  # the Layout's folder standing for /
    http_port: int  # stands for 80
    https_port: int  # stands for 443
    web_port: int  # stands for the web's 5000

    @property
    def etc(self) -> Path:
        return self.base / "etc" / "nginx"

    @property
    def conf(self) -> Path:
        return self.etc / "nginx.conf"

    @property
    def logs(self) -> Path:
        return self.base / "var" / "log" / "nginx"

    @property
    def error_log(self) -> Path:
        return self.logs / "error.log"

    @property
    def certificates(self) -> Path:
        return self.base / LETSENCRYPT.lstrip("/")

    @property
    def ca_bundle(self) -> Path:
        """What the test's clients trust (the public authorities, on a server)."""
        return self.certificates / "fullchain.pem"

    @property
    def public_url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    def install_package(self) -> list[str]:
        """What the nginx package installs; returns the command systemd's nginx.service runs."""
        for folder in (self.etc / "sites-available", self.etc / "sites-enabled", self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        temp = self.base / "var" / "lib" / "nginx"
        temps = "\n".join(f"  {kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy"))
        # Debian's nginx.conf, cut to what the site needs, with the folders moved here.
        self.conf.write_text(
            f"pid {self.base / 'run' / 'nginx.pid'};\n"
            f"error_log {self.error_log};\n"
            "events {}\n"
            "http {\n"
            f"  access_log {self.logs / 'access.log'};\n"
            f"{temps}\n"
            "  ssl_prefer_server_ciphers on;\n"
            f"  include {self.etc / 'sites-enabled'}/*;\n"
            "}\n"
        )
        (self.base / "run").mkdir(exist_ok=True)
        temp.mkdir(parents=True, exist_ok=True)
        self._certify()
        return [*self.command(), "-g", "daemon off;"]

    def command(self) -> list[str]:
        """nginx reading this test's configuration (what the `nginx` stand-in runs)."""
        nginx = nginx_binary()
        assert nginx, "nginx is not installed (`make system-deps` adds nginx-light)"
        return [nginx, "-p", str(self.base), "-c", str(self.conf), "-e", str(self.error_log)]

    def _certify(self) -> None:
        # certbot's part: a certificate for the host in the live/ folder.
        self.certificates.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
            + ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}"]
            + ["-keyout", str(self.certificates / "privkey.pem")]
            + ["-out", str(self.certificates / "fullchain.pem")],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def edit_site(self) -> None:
        """The operator's edit of the copied site, and the test's moves of ports and folders."""
        site = self.etc / "sites-available" / "pantau"
        text = site.read_text()
        for server, here in (
            # What the guide tells the operator to set.
            (f"server_name {EXAMPLE_HOST};", f"server_name {HOST};"),
            (LETSENCRYPT, str(self.certificates)),
            # What only the test moves.
            (f"127.0.0.1:{SERVER_PORT};", f"127.0.0.1:{self.web_port};"),
            ("/var/log/nginx", str(self.logs)),
        ):
            assert server in text, f"{server!r} is no longer in deploy/nginx-pantau.conf"
            text = text.replace(server, here)
        # Loopback only, and no IPv6 (a container may have none).
        text = re.sub(r" *listen \[::\]:(80|443)[^;]*;\n", "", text)
        text = text.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{self.https_port} ssl")
        site.write_text(text)

    def error_log_tail(self, chars: int = 2000) -> str:
        return self.error_log.read_text()[-chars:] if self.error_log.exists() else ""

    def logs_holding(self, text: str) -> list[str]:
        """nginx's log files (every one: access, the site's, error) that contain text."""
        return [p.name for p in self.logs.glob("*.log") if text in p.read_text(errors="replace")]

    def access_log(self) -> list[str]:
        """Lines of the site's own access log (format `pantau`)."""
        path = self.logs / "pantau.access.log"
        return path.read_text().splitlines() if path.exists() else []
