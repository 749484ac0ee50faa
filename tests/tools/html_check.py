"""Reads authconform's HTML report for the integration tests (tests/html.rs) with Python's own
HTML parser, which shares nothing with the code that wrote it, and prints what the tests
compare with the JSON report of the same run, as one JSON object:

  lang, title, headings (levels in document order), ids (every id attribute),
  cases: [{id, verdict, open, badge, refs, text, attrs}] in document order (`attrs`: the
    element's data-* attributes, which a test's own script may add in the browser),
  filters: [{id, value, checked}] (the checkboxes), links: [{href, cls}] (every <a href>),
  fetches: everything that would make a browser fetch (src, <link>, url(), @import, ...),
  urls_in_markup: [{tag, attr, value}] every attribute value holding http:// or https://,
  urls_in_code: every http(s) URL inside <style> or <script>,
  scripts, scripts_with_src, text (all visible text).

Usage: python html_check.py REPORT.html
"""

import json
import re
import sys
from html.parser import HTMLParser

URL = re.compile(r"https?://", re.I)
# Attributes that make a browser fetch what they name.
FETCHING = {"src", "srcset", "poster", "data", "background", "action", "formaction", "ping"}


class Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.title = ""
        self.headings = []
        self.ids = []
        self.cases = []
        self.filters = []
        self.links = []
        self.fetches = []
        self.urls_in_markup = []
        self.urls_in_code = []
        self.scripts = 0
        self.scripts_with_src = 0
        self.text = []
        self.in_title = False
        self.in_code = False
        self.case = None
        self.case_depth = 0
        self.badge_depth = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        for name, value in a.items():
            if URL.search(value):
                self.urls_in_markup.append({"tag": tag, "attr": name, "value": value})
            if name in FETCHING:
                self.fetches.append(f"<{tag} {name}={value}>")
            if name == "style":
                self.fetches.extend(re.findall(r"url\([^)]*\)", value))
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "title":
            self.in_title = True
        if tag in ("script", "style"):
            self.in_code = True
        if tag == "script":
            self.scripts += 1
            self.scripts_with_src += "src" in a
        if tag == "link":
            self.fetches.append(f"<link href={a.get('href', '')}>")
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.fetches.append(f"<meta refresh {a.get('content', '')}>")
        if tag == "base":
            self.fetches.append(f"<base href={a.get('href', '')}>")
        if tag == "input" and a.get("type") == "checkbox":
            self.filters.append(
                {"id": a.get("id"), "value": a.get("value"), "checked": "checked" in a}
            )
        classes = a.get("class", "").split()
        if tag == "a" and "href" in a:
            self.links.append({"href": a["href"], "cls": a.get("class", "")})
            if self.case is not None and "ref" in classes:
                self.case["refs"].append(a["href"])
        if tag == "details":
            if self.case is not None:
                self.case_depth += 1
            elif "case" in classes:
                verdict = [c[2:] for c in classes if c.startswith("v-")]
                self.case = {
                    "id": a.get("id"),
                    "verdict": verdict[0] if len(verdict) == 1 else None,
                    "open": "open" in a,
                    "badge": None,
                    "refs": [],
                    "text": [],
                    "attrs": {k: v for k, v in a.items() if k.startswith("data-")},
                }
                self.case_depth = 0
        if self.case is not None and tag == "span" and "badge" in classes:
            if self.case["badge"] is None:
                self.case["badge"] = ""
                self.badge_depth = 1
        elif self.badge_depth and tag == "span":
            self.badge_depth += 1

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if tag in ("script", "style"):
            self.in_code = False
        if tag == "span" and self.badge_depth:
            self.badge_depth -= 1
        if tag == "details" and self.case is not None:
            if self.case_depth:
                self.case_depth -= 1
            else:
                self.case["text"] = "".join(self.case["text"])
                self.cases.append(self.case)
                self.case = None

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_code:
            self.urls_in_code.extend(URL.findall(data))
            self.fetches.extend(re.findall(r"url\([^)]*\)", data))
            self.fetches.extend(re.findall(r"@import[^;]*", data))
            return
        self.text.append(data)
        if self.case is not None:
            self.case["text"].append(data)
            if self.badge_depth:
                self.case["badge"] += data


def main():
    reader = Reader()
    with open(sys.argv[1], encoding="utf-8") as f:
        reader.feed(f.read())
    reader.close()
    print(
        json.dumps(
            {
                "lang": reader.lang,
                "title": reader.title,
                "headings": reader.headings,
                "ids": reader.ids,
                "cases": reader.cases,
                "filters": reader.filters,
                "links": reader.links,
                "fetches": reader.fetches,
                "urls_in_markup": reader.urls_in_markup,
                "urls_in_code": reader.urls_in_code,
                "scripts": reader.scripts,
                "scripts_with_src": reader.scripts_with_src,
                "text": "".join(reader.text),
            }
        )
    )


if __name__ == "__main__":
    main()
