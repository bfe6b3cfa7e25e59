"""Renderers of an `Assessment`: each is a function of it, so the same bundle always gives
the same bytes; SARIF also places its results in the descriptor file where it still is
(its path from the repository root, the line of each field). `render(assessment, format)`
picks one."""

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from assessment.result import Assessment


class Format(StrEnum):
    JSON = "json"
    MARKDOWN = "md"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"


def render(assessment: Assessment, format: Format, sarif_root: Path | None = None) -> str:
    from assessment.exports import html, json_file, junit, markdown, sarif

    if format is Format.SARIF:
        return sarif.render(assessment, sarif_root)
    renderers: dict[Format, Callable[[Assessment], str]] = {
        Format.JSON: json_file.render,
        Format.MARKDOWN: markdown.render,
        Format.HTML: html.render,
        Format.JUNIT: junit.render,
    }
    return renderers[format](assessment)
