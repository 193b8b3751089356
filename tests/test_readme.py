"""The README shows the app (issue 17): every screenshot the browser tests make is embedded, and
every one embedded exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_embeds_the_screenshots_the_browser_tests_make():
    embedded = set(re.findall(r'src="(docs/screenshots/[^"]+\.png)"', (ROOT / "README.md").read_text()))
    made = {str(path.relative_to(ROOT)) for path in (ROOT / "docs" / "screenshots").glob("*.png")}
    assert embedded == made
    assert {"docs/screenshots/report-form-phone.png", "docs/screenshots/dashboard-phone.png"} <= made
    assert any("case-page" in name for name in made)
