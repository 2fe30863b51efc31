#!/usr/bin/python3
"""Print every cell of one sheet of a workbook, by the sheet's position (1 = first), as
"REF<TAB>TYPE<TAB>VALUE" lines: TYPE n for a number, s for text. Read with the standard
library only (zipfile + ElementTree), so it runs without openpyxl. Used by
test_report_exports.c."""
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
z = zipfile.ZipFile(sys.argv[1])
shared = []
if "xl/sharedStrings.xml" in z.namelist():
    for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(M + "si"):
        shared.append("".join(t.text or "" for t in si.iter(M + "t")))
rels = {r.get("Id"): r.get("Target")
        for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
sheets = list(ET.fromstring(z.read("xl/workbook.xml")).iter(M + "sheet"))
target = rels[sheets[int(sys.argv[2]) - 1].get(R + "id")]
sheet = ET.fromstring(z.read("xl/" + re.sub("^/?xl/", "", target)))
for c in sheet.iter(M + "c"):
    v = c.find(M + "v")
    kind = c.get("t")
    if kind == "s":
        print("%s\ts\t%s" % (c.get("r"), shared[int(v.text)]))
    elif kind == "inlineStr":
        print("%s\ts\t%s" % (c.get("r"), "".join(t.text or "" for t in c.iter(M + "t"))))
    elif kind == "str":
        print("%s\ts\t%s" % (c.get("r"), v.text if v is not None else ""))
    elif v is not None:
        print("%s\tn\t%s" % (c.get("r"), v.text))
