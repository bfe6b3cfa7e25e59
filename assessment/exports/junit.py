"""JUnit XML: one test case per probe, one suite per dimension, so any CI shows readiness
as tests: fail and error as failures and errors, unknown and not applicable as skipped."""

from xml.etree import ElementTree

from assessment.result import Assessment
from readiness.bundle import Outcome


def render(assessment: Assessment) -> str:
    root = ElementTree.Element("testsuites", name=f"readiness {assessment.subject.name}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for dimension in assessment.dimensions:
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite = ElementTree.SubElement(root, "testsuite", name=dimension.id)
        for finding in dimension.findings:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                name=finding.probe,
                classname=f"readiness.{dimension.id}.level{finding.level}",
            )
            counts["tests"] += 1
            text = f"{finding.question}\n{finding.detail}\nevidence: {', '.join(finding.evidence)}"
            if finding.outcome is Outcome.FAIL:
                counts["failures"] += 1
                ElementTree.SubElement(
                    case, "failure", message=finding.detail[:200], type="fail"
                ).text = text
            elif finding.outcome is Outcome.ERROR:
                counts["errors"] += 1
                ElementTree.SubElement(
                    case, "error", message=finding.detail[:200], type="error"
                ).text = text
            elif finding.outcome in (Outcome.NOT_AVAILABLE, Outcome.NOT_APPLICABLE):
                counts["skipped"] += 1
                ElementTree.SubElement(
                    case, "skipped", message=f"{finding.outcome}: {finding.detail[:200]}"
                )
        properties = ElementTree.SubElement(suite, "properties")
        for name, value in (("score", dimension.score), ("target", dimension.target)):
            ElementTree.SubElement(properties, "property", name=name, value=str(value))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
