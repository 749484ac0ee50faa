"""Reads authconform's HTML report for the integration tests (tests/html.rs) with Python's own
HTML parser, which shares nothing with the code that wrote it, and prints what the tests
compare with the JSON report, as one JSON object:

  {"cases": [{"id", "verdict", "open"}], "external": [every src/href/url(...) that
   would fetch something], "links": [every <a href>], "scripts_with_src": n,
   "title": str, "filters": [checkbox values], "text": all visible text}

Usage: python html_check.py REPORT.html
"""

import json
import re
import sys
from html.parser import HTMLParser


class Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cases = []
        self.external = []
        self.links = []
        self.scripts_with_src = 0
        self.filters = []
        self.title = ""
        self.in_title = False
        self.text = []
        self.in_style_or_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "details" and "case" in (a.get("class") or "").split():
            verdict = [c[2:] for c in a["class"].split() if c.startswith("v-")]
            self.cases.append(
                {"id": a.get("id"), "verdict": verdict[0] if verdict else None, "open": "open" in a}
            )
        if tag == "script" and "src" in a:
            self.scripts_with_src += 1
        if tag in ("script", "style"):
            self.in_style_or_script = True
        if tag in ("img", "iframe", "embed", "source", "video", "audio") and "src" in a:
            self.external.append(a["src"])
        if tag == "link":
            self.external.append(a.get("href") or "")
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "input" and a.get("type") == "checkbox":
            self.filters.append(a.get("value"))
        if tag == "title":
            self.in_title = True

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.in_style_or_script = False
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_style_or_script:
            self.external.extend(re.findall(r"url\(\s*['\"]?([^'\")]+)", data))
            self.external.extend(re.findall(r"@import\s+['\"]?([^'\";]+)", data))
        else:
            self.text.append(data)


def main():
    reader = Reader()
    with open(sys.argv[1], encoding="utf-8") as f:
        reader.feed(f.read())
    reader.close()
    print(
        json.dumps(
            {
                "cases": reader.cases,
                "external": reader.external,
                "links": reader.links,
                "scripts_with_src": reader.scripts_with_src,
                "filters": reader.filters,
                "title": reader.title,
                "text": "".join(reader.text),
            }
        )
    )


if __name__ == "__main__":
    main()
