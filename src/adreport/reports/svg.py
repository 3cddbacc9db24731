"""Rendering chart specs to SVG on this machine, offline, and checking the result.

A chart that cannot be rendered stops the report: a PDF with a hole where a chart
should be would be sent to a client as if it were complete. The SVG is checked
before it is inlined in a page, since it carries names that came from outside.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from xml.etree import ElementTree

import vl_convert

from adreport.errors import ReportError

log = logging.getLogger(__name__)

LOCALES = {"en": "en-US", "ko": "ko-KR"}
FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "object", "embed", "image"}
OUTSIDE_REFERENCE = re.compile(r"url\(\s*(?!['\"]?#)", re.IGNORECASE)
DRAWN_TAGS = {"path", "rect", "line", "circle", "text", "polygon", "polyline"}


def render_svg(name: str, spec: dict[str, Any], lang: str = "en") -> str:
    """The chart as an SVG document; raises ReportError if it cannot be drawn."""
    locale: Any = LOCALES.get(lang, "en-US")
    try:
        svg: str = vl_convert.vegalite_to_svg(
            spec, allowed_base_urls=[], format_locale=locale, time_format_locale=locale
        )
    except Exception as exc:
        raise ReportError(
            f"the chart {name!r} could not be rendered ({exc}); no report was "
            "written. Check the data of that chart, or run with -vv for details"
        ) from exc
    check_svg(name, svg)
    log.debug("chart %s rendered: %d bytes of SVG", name, len(svg))
    return _without_declaration(svg)


def check_svg(name: str, svg: str) -> None:
    """Refuse an SVG that is broken, draws nothing, or could run or fetch anything."""
    try:
        root = ElementTree.fromstring(svg)  # noqa: S314  (our renderer's output, no DTD)
    except ElementTree.ParseError as exc:
        raise ReportError(
            f"the chart {name!r} came out as broken SVG ({exc}); no report was written"
        ) from exc
    if _local(root.tag) != "svg":
        raise ReportError(
            f"the chart {name!r} is not an SVG image; no report was written"
        )
    drawn = 0
    for element in root.iter():
        tag = _local(element.tag)
        unsafe = any(_unsafe(k, v) for k, v in element.attrib.items())
        if tag in FORBIDDEN_TAGS or unsafe:
            raise ReportError(
                f"the chart {name!r} holds active or external content (<{tag}>); "
                "no report was written"
            )
        drawn += tag in DRAWN_TAGS
    if drawn == 0:
        raise ReportError(f"the chart {name!r} draws nothing; no report was written")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _unsafe(attribute: str, value: str) -> bool:
    """Event handlers, and links or url() references to anything but the image."""
    name = _local(attribute)
    if name.startswith("on") or OUTSIDE_REFERENCE.search(value):
        return True
    return name == "href" and not value.startswith("#")


def _without_declaration(svg: str) -> str:
    text = svg.lstrip()
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :].lstrip()
    return text
