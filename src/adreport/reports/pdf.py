"""The PDF: WeasyPrint lays out the same HTML page, fetching nothing from outside.

The page is self-contained, so the URL fetcher refuses every request except inline
`data:` URLs and files inside this package. Korean text needs a font with Hangul:
Debian's fonts-nanum (NanumGothic). Without it the PDF would show empty boxes, so
a Korean PDF is refused with the one command that installs the font.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from adreport.errors import ReportError

log = logging.getLogger(__name__)

HANGUL_FONT = "NanumGothic"
FONT_PACKAGE = "fonts-nanum"
INSTALL_FONT = f"sudo apt-get install -y {FONT_PACKAGE}"
FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)


def hangul_font_installed() -> bool:
    """True when fontconfig (which WeasyPrint uses) knows the NanumGothic family.

    The same check as `fc-list | grep -i NanumGothic`; without fc-list, the usual
    font folders are searched for the font file.
    """
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            listed = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
                [fc_list, ":", "family"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("fc-list failed (%s); searching the font folders instead", exc)
        else:
            return HANGUL_FONT.lower() in listed.lower()
    return any(any(d.glob(f"**/{HANGUL_FONT}*.ttf")) for d in FONT_DIRS if d.is_dir())


def require_hangul_font() -> None:
    if not hangul_font_installed():
        raise ReportError(
            f"a Korean PDF needs the {HANGUL_FONT} font, which is not installed on "
            f"this machine; install it with: {INSTALL_FONT}"
        )


class PackagedAssetsOnly(URLFetcher):  # type: ignore[misc]
    """Fetches inline data: URLs and files of this package; refuses the rest."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.package_dir = Path(str(resources.files("adreport.reports"))).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:") or self._is_packaged(url):
            return super().fetch(url, headers)
        self.refused.append(url[:200])
        log.warning("refused to fetch %s while writing the PDF", url[:200])
        raise ValueError(f"adreport reports fetch nothing from outside: {url[:200]}")

    def _is_packaged(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        path = Path(unquote(parts.path)).resolve()
        return path.is_relative_to(self.package_dir) and path.is_file()


def html_to_pdf(html: str, title: str) -> bytes:
    """Lay out the report page as an A4 PDF."""
    fetcher = PackagedAssetsOnly()
    try:
        document = HTML(string=html, url_fetcher=fetcher, base_url=None).render()
        document.metadata.title = title
        pdf: bytes = document.write_pdf()
    except Exception as exc:
        raise ReportError(
            f"the PDF could not be laid out ({type(exc).__name__}: {exc}); no report "
            "was written"
        ) from exc
    log.info("PDF laid out: %d pages, %d bytes", len(document.pages), len(pdf))
    return pdf
