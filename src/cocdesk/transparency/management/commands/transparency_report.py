"""`cocdesk transparency-report --year YYYY [--format md|html]` (D11): print the report of a
year, published or draft, as Markdown (the default) or as a standalone HTML page."""

from django.core.management.base import BaseCommand, CommandError

from cocdesk.audit.services import audit_record
from cocdesk.transparency.render import markdown_to_html
from cocdesk.transparency.selectors import report_of_year


class Command(BaseCommand):
    help = "Print the transparency report of a year (published or draft) as Markdown or HTML."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="the year of the report, e.g. 2026")
        parser.add_argument("--format", choices=["md", "html"], default="md", help="md (default) or html")

    def handle(self, *args, year: int, format: str, **options):
        report = report_of_year(year=year)
        if report is None:
            raise CommandError(
                f"There is no transparency report for {year}. The chair starts one in the app."
            )
        audit_record(actor="system", action=f"transparency.printed_{format}", target=report)
        if not report.is_published:
            self.stderr.write(f"Note: the report for {year} is a draft, not published yet.")
        if format == "html":
            title = f"Code of Conduct transparency report {year}"
            self.stdout.write(markdown_to_html(report.body, title=title), ending="")
        else:
            self.stdout.write(report.body, ending="")
