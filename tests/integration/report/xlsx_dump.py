#!/usr/bin/python3
"""Print the KPI sheet (first sheet) of a report workbook as tab-separated lines,
read with openpyxl: measure, then for each column (period, ytd, previous year) the shown
number and the raw integer, then the measure as the reader sees it; and the sheet's
notice below the table (a period that has not ended: "Voorlopig: ..."), if any. Used by
test_report_integration.c."""
import sys
import openpyxl

wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
ws = wb.worksheets[0]
for i, row in enumerate(ws.iter_rows(values_only=True)):
    if i == 0 or all(v is None for v in row):
        continue
    if row[10] is None:   # no kpi_code: not a figure, the notice
        print("notice\t" + str(row[0]))
        continue
    out = [str(row[11])]
    for c in (3, 5, 7):
        # a figure that does not exist on the report's basis is the text "–", no raw
        if isinstance(row[c], str):
            out.append(repr(row[c]))
            out.append("na" if row[c + 1] is None else str(row[c + 1]))
            continue
        out.append(repr(float(row[c])))
        out.append(str(int(row[c + 1])))
    out.append(str(row[1]) + " | " + str(row[2]))
    print("\t".join(out))
print("sheets\t" + "\t".join(wb.sheetnames))
