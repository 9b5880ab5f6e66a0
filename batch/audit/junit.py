"""Render an `AuditReport` as JUnit XML, one testcase per manifest row, for CI test dashboards.

GitHub and Azure DevOps test reporting read this: classname is the op, name the row and its
target, a failed row is a `<failure>` carrying Graph's error code and message, a skipped row is
`<skipped>`. ElementTree escapes markup; characters XML 1.0 cannot carry at all (most control
characters, lone surrogates) are replaced first, or the file would not parse.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from batch.audit.records import OpFinished, Outcome
from batch.audit.summary import AuditReport, RunSummary
from batch.display.tables import target_text

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _testcase(suite: ET.Element, row: OpFinished) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=xml_safe(row.op),
        name=xml_safe(f"row {row.row} {target_text(row.target)}"),
        time=f"{row.duration_ms / 1000:.3f}",
    )
    if row.outcome == Outcome.FAILED:
        code = row.error_code or (f"HTTP {row.status}" if row.status else "failed")
        failure = ET.SubElement(case, "failure", message=xml_safe(code), type=xml_safe(code))
        failure.text = xml_safe(row.error_message or "")
    elif row.outcome == Outcome.SKIPPED:
        ET.SubElement(case, "skipped", message=xml_safe(row.reason or "skipped"))


def _counts(run: RunSummary) -> dict[str, str]:
    counts = run.counts
    return {
        "tests": str(len(run.rows)),
        "failures": str(counts[Outcome.FAILED.value]),
        "errors": "0",
        "skipped": str(counts[Outcome.SKIPPED.value]),
        "time": f"{run.elapsed:.3f}",
    }


def render_junit(report: AuditReport) -> str:
    """The report as a JUnit XML document: one `<testsuite>` per run."""
    root = ET.Element("testsuites", name="graph-batch")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    elapsed = 0.0
    for run in report.runs:
        attributes = _counts(run)
        suite = ET.SubElement(
            root, "testsuite", {"name": f"graph-batch run {run.run_id}", **attributes}
        )
        if run.started is not None:
            suite.set("timestamp", run.started.ts.isoformat(timespec="seconds"))
        for row in run.rows:
            _testcase(suite, row)
        for name in totals:
            totals[name] += int(attributes[name])
        elapsed += run.elapsed
    for name, total in totals.items():
        root.set(name, str(total))
    root.set("time", f"{elapsed:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
