#!/usr/bin/env python3
"""Writes deploy/demo/measurements.csv: demo measurements for the tenders of
deploy/demo/calendar.csv, every kind, 2024-2026 (deterministic: seed 2024).
Run from the repository root: python3 services/impact-calculator/tools/gen_demo_measurements.py"""
import csv, io, random

random.seed(2024)
lines = [l for l in open('deploy/demo/calendar.csv', encoding='utf-8').read().splitlines()[1:] if l.strip()]
ids = [l.split(';')[0] for l in lines]
sroi = [l.split(';')[0] for l in lines if l.split(';')[17]]
cols = ("id,tender,phase,period_start,period_end,submitter,kind,carrier,reference,quantity,grid_year,"
        "power,stage,stage_required,hours,load,kwh,machine,vehicle,euro,euro_required,km,mass,strategy,"
        "sharing,renewable,material,target_group,fte_months,social_hours,invoices,bonus50,category,"
        "products,fair,mki_reference,mki_offered,theme,status,edition").split(',')
quarters = [("01-01", "03-31"), ("04-01", "06-30"), ("07-01", "09-30"), ("10-01", "12-31")]
subs = ["Brandstofpas BV", "Groenbedrijf Parkstad", "Aannemer Zuid", "Schoonmaak Limburg", "Leverancier Heerlen"]
rows, n = [], 0

def base(t, kind, year, q, phase="realisation"):
    global n
    n += 1
    s, e = quarters[q]
    r = dict.fromkeys(cols, "")
    r.update(id="demo-%04d" % n, tender=t, phase=phase, period_start="%d-%s" % (year, s),
             period_end="%d-%s" % (year, e), submitter=random.choice(subs), kind=kind)
    return r

for t in ids:
    y0 = int(t.split('-')[1])
    phase = "ambition" if y0 > 2026 else "realisation"
    for y in [y for y in (2024, 2025, 2026) if y >= min(y0, 2026)]:
        for q in range(4):
            for _ in range(random.choice([1, 1, 2])):
                k = random.choice(["energy", "energy", "energy", "machine", "road", "material", "fairtrade", "mki"])
                r = base(t, k, y, q, phase)
                if k == "energy":
                    c, ref = random.choice([("hvo100", "diesel_b7"), ("hvo30", "diesel_b7"), ("bio_cng", "cng"),
                                            ("green_gas", "natural_gas"), ("electricity_renewable", "electricity_grey"),
                                            ("electricity_grid", "electricity_grey"), ("bio_lng", "lng")])
                    r.update(carrier=c, reference=ref, quantity=str(random.randint(50, 20000)))
                elif k == "machine":
                    r.update(power=str(random.choice([75, 150, 200, 300])), stage=random.choice(["stage_v", "zero_emission"]),
                             stage_required="stage_iiib", hours=str(random.randint(20, 600)),
                             load=random.choice(["0.3", "0.4", "0.5"]),
                             machine=random.choice(["graafmachine", "wiellader", "asfaltfrees", "shovel"]))
                elif k == "road":
                    r.update(vehicle="car_diesel", euro=random.choice(["euro6", "zero_emission"]), euro_required="euro5",
                             km=str(random.randint(500, 30000)))
                elif k == "material":
                    st = random.choice(["r3_reuse", "r5_refurbish", "r8_recycle", "r2_reduce", "r1_rethink"])
                    r.update(mass=str(random.randint(100, 50000)), strategy=st,
                             material=random.choice(["beton", "staal", "hout", "kunststof", "asfalt"]))
                    if st == "r1_rethink":
                        r["sharing"] = str(random.choice([2, 3, 4]))
                    if random.random() < 0.1:
                        r["renewable"] = "yes"
                elif k == "fairtrade":
                    tot = random.randint(5, 200)
                    r.update(category=random.choice(["koffie", "thee", "bedrijfskleding", "textiel", "elektronica", "natuursteen"]),
                             products=str(tot), fair=str(random.randint(0, tot)))
                elif k == "mki":
                    ref = random.randint(20000, 500000)
                    r.update(mki_reference="%d.00" % ref, mki_offered="%d.00" % int(ref * random.uniform(0.6, 0.95)))
                rows.append(r)
for t in sroi:
    for y in (2025, 2026):
        for q in range(0, 4, 2):
            r = base(t, "social", y, q)
            r.update(target_group=random.choice(["participatiewet", "doelgroepregister", "ww", "wia", "bbl", "bol"]),
                     fte_months=str(random.choice([3, 6, 12])), bonus50=random.choice(["yes", "no"]),
                     social_hours=str(random.choice([0, 40, 120])), invoices="%d.00" % random.choice([0, 2500, 12000]))
            rows.append(r)
for t in ids[:20]:
    r = base(t, "energy", 2025, 0, "ambition")
    r.update(carrier="hvo100", reference="diesel_b7", quantity=str(random.randint(5000, 40000)))
    rows.append(r)
for t, theme in (("HRL-2025-009", "circulair"), ("HRL-2026-004", "klimaat"), ("HRL-2024-001", "circulair")):
    r = base(t, "pilot", int(t.split('-')[1]), 1)
    r.update(theme=theme, status=random.choice(["gestart", "lopend"]))
    rows.append(r)
out = io.StringIO()
w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
w.writeheader()
w.writerows(rows)
open('deploy/demo/measurements.csv', 'w').write(out.getvalue())
print(len(rows), "rows")
