"""The report for people in a file: self-contained HTML, or PDF, of the same blocks."""

from enum import StrEnum


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
