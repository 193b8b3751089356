"""`cocdesk transparency-report --year YYYY [--format md|html]` (D11): print the published report
of a year, or, if none is published, the text the year's cases give today, marked as a DRAFT.
Markdown (the default) or a standalone HTML page. Stores nothing."""

from django.core.management.base import BaseCommand

from cocdesk import clock
from cocdesk.audit.services import audit_record
from cocdesk.transparency.render import markdown_to_html
from cocdesk.transparency.selectors import report_of_year, report_preview


class Command(BaseCommand):
    help = "Print the transparency report of a year (published, or the current draft) as Markdown or HTML."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="the year of the report, e.g. 2026")
        parser.add_argument("--format", choices=["md", "html"], default="md", help="md (default) or html")

    def handle(self, *args, year: int, format: str, **options):
        report = report_of_year(year=year)
        published = report is not None and report.is_published
        text = report_preview(year=year, now=clock.now())
        if report is not None:
            audit_record(actor="system", action=f"transparency.printed_{format}", target=report)
        else:
            audit_record(
                actor="system", action=f"transparency.printed_{format}", object_type="year", object_id=year
            )
        if not published:
            self.stderr.write(f"DRAFT: no report for {year} is published; this is what its cases give today.")
        elif not text:
            self.stderr.write(f"The report for {year} was published outside cocdesk; there is no text here.")
        if format == "html":
            title = f"Code of Conduct transparency report {year}"
            self.stdout.write(markdown_to_html(text, title=title), ending="")
        else:
            self.stdout.write(text, ending="")
