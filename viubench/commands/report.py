"""``viubench report``."""

from __future__ import annotations

import argparse

from viubench.console import console
from viubench.errors import UserError
from viubench.report.build import ReportOptions, build_report
from viubench.report.render import write
from viubench.report.sample_page import page_context


def run_report_command(args: argparse.Namespace) -> int:
    if not args.html and not args.md:
        raise UserError("give --html FILE and/or --md FILE")
    options = ReportOptions(baseline=args.baseline, reference=args.reference == "paper", samples_per_task=args.samples_per_task, frame_strips=args.frame_strips)
    report = build_report(args.run_dirs, options)
    if args.html:
        write("report.html.j2", {"report": page_context(report, args.html)}, args.html)
        console.print(f"wrote {args.html}", markup=False)
    if args.md:
        write("report.md.j2", {"report": report}, args.md)
        console.print(f"wrote {args.md}", markup=False)
    for warning in report["warnings"]:
        console.print(f"warning: {warning}", markup=False)
    return 0
