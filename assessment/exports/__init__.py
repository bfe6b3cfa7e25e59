"""Renderers of an `Assessment`: each is a pure function of it, so the same bundle always
gives the same bytes. `render(assessment, format)` picks one."""

from collections.abc import Callable
from enum import StrEnum

from assessment.result import Assessment


class Format(StrEnum):
    JSON = "json"
    MARKDOWN = "md"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"


def render(assessment: Assessment, format: Format) -> str:
    from assessment.exports import html, json_file, junit, markdown, sarif

    renderers: dict[Format, Callable[[Assessment], str]] = {
        Format.JSON: json_file.render,
        Format.MARKDOWN: markdown.render,
        Format.HTML: html.render,
        Format.SARIF: sarif.render,
        Format.JUNIT: junit.render,
    }
    return renderers[format](assessment)
