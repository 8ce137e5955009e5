#!/bin/sh
# report.sh - `caredesk report` on a generated dataset: every figure is computed again here
# (python, independently of the C code) and compared; medians and 90th percentiles on crafted
# times; CSV and JSON shape; --chart writes an SVG that xmllint parses and a PNG that file(1) knows.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
export CAREDESK_NOW=1782864000   # 2026-07-01, after the period
run() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; }

# The dataset and the expected figures, written by one script: SQL into $T/data.sql, figures into $T/expect.json.
python3 - "$T" <<'EOF'
import json, random, statistics, sys, datetime as dt
T = sys.argv[1]
random.seed(8)
utc = dt.timezone.utc
day0 = int(dt.datetime(2026, 6, 1, tzinfo=utc).timestamp())   # a Monday
D = 86400
sql = ["BEGIN;", "INSERT INTO queues(name, sla_minutes, created_at) VALUES ('returns', 60, 0);"]
exp = {}
# customers: some before the period, the rest on random days of June 1-14
days = {}
before = 0
for i in range(40):
    t = day0 + random.randrange(-20 * D, 14 * D)
    sql.append(f"INSERT INTO customers(email, status, created_at, updated_at) VALUES ('c{i}@example.org', 'active', {t}, {t});")
    if t < day0:
        before += 1
    else:
        d = dt.datetime.fromtimestamp(t, utc).strftime('%Y-%m-%d')
        days[d] = days.get(d, 0) + 1
rows, total = [], before
for k in range(14):
    d = dt.datetime.fromtimestamp(day0 + k * D, utc).strftime('%Y-%m-%d')
    total += days.get(d, 0)
    rows.append([d, days.get(d, 0), total])
exp["customers"] = rows
weeks = {}
for d, n, _ in rows:
    w = dt.date.fromisoformat(d).isocalendar()
    key = f"{w[0]}-W{w[1]:02d}"
    weeks[key] = weeks.get(key, 0) + n
exp["customers_week"] = sorted(weeks.items())
# tickets: support (id 1, SLA 480 min) first responses 10..100 min, resolutions 1..10 h;
# returns (SLA 60): 30, 60, 90, 120 min and one never answered
fr = {"support": [10 * i for i in range(1, 11)], "returns": [30, 60, 90, 120, None]}
res = {"support": [float(i) for i in range(1, 11)], "returns": [2.0, None, None, None, None]}
opened, closed = {}, {}
for q, qid in (("support", 1), ("returns", 2)):
    for i, f in enumerate(fr[q]):
        c = day0 + (i % 5) * D + 3600
        fra = "NULL" if f is None else str(c + f * 60)
        r = res[q][i]
        ra = "NULL" if r is None else str(int(c + r * 3600))
        cl = "NULL" if r is None else str(int(c + r * 3600 + 2 * D))
        sql.append(f"INSERT INTO tickets(customer_id, queue_id, subject, status, created_at, updated_at, first_response_at, resolved_at, closed_at) "
                   f"VALUES (1, {qid}, 't', '{'closed' if r else 'open'}', {c}, {c}, {fra}, {ra}, {cl});")
        dd = dt.datetime.fromtimestamp(c, utc).strftime('%Y-%m-%d')
        opened[(dd, q)] = opened.get((dd, q), 0) + 1
        if r is not None:
            dc = dt.datetime.fromtimestamp(int(c + r * 3600 + 2 * D), utc).strftime('%Y-%m-%d')
            closed[(dc, q)] = closed.get((dc, q), 0) + 1
sql.append(f"INSERT INTO tickets(customer_id, queue_id, type, created_at, updated_at) VALUES (1, 1, 'spam', {day0}, {day0});")
exp["tickets"] = {"opened": {f"{d}|{q}": n for (d, q), n in opened.items()}, "closed": {f"{d}|{q}": n for (d, q), n in closed.items()}}
def q(v, p):
    v = sorted(x for x in v if x is not None)
    return round(statistics.quantiles(v, n=100, method="inclusive")[p - 1] if p != 50 else statistics.median(v), 1)
allfr = fr["support"] + fr["returns"]
allres = res["support"] + res["returns"]
exp["response"] = {
    "support": [480, 10, 10, q(fr["support"], 50), q(fr["support"], 90), 10, 0, 100.0, 10, q(res["support"], 50), q(res["support"], 90)],
    "returns": [60, 5, 4, q(fr["returns"], 50), q(fr["returns"], 90), 2, 3, 40.0, 1, 2.0, 2.0],
    "(all queues)": [None, 15, 14, q(allfr, 50), q(allfr, 90), 12, 3, 80.0, 11, q(allres, 50), q(allres, 90)],
}
# orders and RMAs: SKU A sold 10, SKU B sold 4; RMAs A: 2 refunded, 1 closed after a replacement, 1 rejected; B: 1 repaired (2 units)
sql.append(f"INSERT INTO orders(id, ref, customer_id, status, ordered_at, created_at, updated_at) VALUES (1, 'O1', 1, 'delivered', {day0}, {day0}, {day0});")
sql.append("INSERT INTO order_lines(id, order_id, line_no, sku, quantity) VALUES (1, 1, 1, 'A', 10), (2, 1, 2, 'B', 4);")
for rid, line, qty, status, reason in ((1, 1, 1, 'refunded', 'Broken'), (2, 1, 1, 'refunded', 'broken '), (3, 1, 1, 'closed', 'wrong item'),
                                       (4, 1, 1, 'rejected', 'wrong item'), (5, 2, 2, 'repaired', 'broken')):
    sql.append(f"INSERT INTO rmas(id, customer_id, order_id, order_line_id, quantity, status, reason, created_at, updated_at) "
               f"VALUES ({rid}, 1, 1, {line}, {qty}, '{status}', '{reason}', {day0 + D}, {day0 + D});")
sql.append(f"INSERT INTO audit_events(at, actor_kind, entity, entity_id, action, from_state, to_state) VALUES ({day0 + D}, 'agent', 'rma', 3, 'status', 'inspected', 'replaced'), ({day0 + D}, 'agent', 'rma', 3, 'status', 'replaced', 'closed');")
exp["rma-sku"] = {"A": [10, 4, 3, 30.0, 2, 1, 0, 1], "B": [4, 1, 2, 50.0, 0, 0, 1, 0]}
exp["rma-reason"] = [["broken", 3, 60.0, 2, 0, 1, 0], ["wrong item", 2, 40.0, 0, 1, 0, 1]]
# offers on June 2 and June 9 (weeks 23 and 24)
for i, (d, st) in enumerate(((1, 'accepted'), (1, 'accepted'), (1, 'rejected'), (1, 'new'), (8, 'expired'), (8, 'accepted'))):
    sql.append(f"INSERT INTO offers(ref, customer_id, status, created_at, updated_at) VALUES ('OF{i}', 1, '{st}', {day0 + d * D}, {day0 + d * D});")
exp["offers_week"] = [["2026-W23", 4, 2, 1, 0, 1, 66.7], ["2026-W24", 2, 1, 0, 1, 0, 50.0], ["total", 6, 3, 1, 1, 1, 60.0]]
# volumes on June 3: 3 mails and 2 SMS in; 2 mails (one more cancelled) and 1 SMS out
for ch in ('email', 'email', 'email', 'sms', 'sms'):
    sql.append(f"INSERT INTO messages(direction, channel, author_kind, created_at) VALUES ('in', '{ch}', 'customer', {day0 + 2 * D});")
for ch, st in (('email', 'sent'), ('email', 'queued'), ('email', 'cancelled'), ('sms', 'sent')):
    sql.append(f"INSERT INTO outbox(created_at, channel, kind, recipient, state, next_attempt_at) VALUES ({day0 + 2 * D}, '{ch}', 'ack', 'x', '{st}', 0);")
exp["volume_june3"] = [3, 2, 2, 1]
sql.append("COMMIT;")
open(f"{T}/data.sql", "w").write("\n".join(sql))
json.dump(exp, open(f"{T}/expect.json", "w"))
EOF
sql <"$T/data.sql"
R() { "$CAREDESK" report "$@" --from 2026-06-01 --to 2026-06-14 --json; }
# cmp NAME PYTHON-EXPRESSION-OVER-d-AND-e: prints True when the report matches
cmp() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); e=json.load(open(sys.argv[2])); print($1)" "$T/r.json" "$T/expect.json"; }

R customers >"$T/r.json"
check "customers per day: shape" "True" "$(cmp 'd["report"] == "customers" and d["by"] == "day" and d["columns"] == ["period", "new_customers", "total_customers"] and len(d["rows"]) == 14')"
check "customers per day: every figure" "True" "$(cmp '[[r["period"], r["new_customers"], r["total_customers"]] for r in d["rows"]] == e["customers"]')"
R customers --by week >"$T/r.json"
check "customers per ISO week" "True" "$(cmp '[[r["period"], r["new_customers"]] for r in d["rows"]] == [list(x) for x in e["customers_week"]]')"
R customers --by month >"$T/r.json"
check "customers per month" "True" "$(cmp '[[r["period"], r["new_customers"]] for r in d["rows"]] == [["2026-06", sum(x[1] for x in e["customers"])]]')"

R tickets >"$T/r.json"
check "tickets opened per queue and day (spam not counted)" "True" \
	"$(cmp '{r["period"] + "|" + r["queue"]: r["opened"] for r in d["rows"] if r["opened"]} == e["tickets"]["opened"]')"
check "tickets closed per queue and day" "True" \
	"$(cmp '{r["period"] + "|" + r["queue"]: r["closed"] for r in d["rows"] if r["closed"]} == e["tickets"]["closed"]')"

R response >"$T/r.json"
check "response: columns" "queue sla_minutes tickets answered first_response_median_min first_response_p90_min within_sla breached_sla sla_met_pct resolved resolution_median_h resolution_p90_h" \
	"$(cmp '" ".join(d["columns"])')"
for qn in support returns "(all queues)"; do
	check "response: $qn" "True" "$(cmp "[r[c] for r in d['rows'] if r['queue'] == '$qn' for c in d['columns'][1:]] == e['response']['$qn']")"
done
check "support first response: median 55, p90 91 minutes" "55.0 91.0" "$(cmp '" ".join("%.1f" % r[c] for r in d["rows"] if r["queue"] == "support" for c in ("first_response_median_min", "first_response_p90_min"))')"

R rma-sku >"$T/r.json"
check "RMAs per SKU: sold, RMAs, units, rate, refund/replace/repair/rejected" "True" \
	"$(cmp '{r["sku"]: [r[c] for c in ("sold", "rmas", "units_returned", "return_rate_pct", "refund", "replace", "repair", "rejected")] for r in d["rows"]} == e["rma-sku"]')"
R rma-reason >"$T/r.json"
check "RMAs per reason (case and spaces folded)" "True" \
	"$(cmp '[[r[c] for c in ("reason", "rmas", "share_pct", "refund", "replace", "repair", "rejected")] for r in d["rows"]] == e["rma-reason"]')"

R offers --by week >"$T/r.json"
check "offers per week and total, acceptance of decided offers" "True" \
	"$(cmp '[[r[c] for c in d["columns"]] for r in d["rows"]] == e["offers_week"]')"

R volume >"$T/r.json"
check "mail and SMS volumes (cancelled not counted)" "True" \
	"$(cmp '[[r[c] for c in ("email_in", "sms_in", "email_out", "sms_out")] for r in d["rows"] if r["period"] == "2026-06-03"][0] == e["volume_june3"]')"

# CSV: a header and one line per period, CRLF, empty cells for nulls
"$CAREDESK" report response --from 2026-06-01 --to 2026-06-14 --csv >"$T/r.csv"
check "CSV header" "queue,sla_minutes,tickets,answered,first_response_median_min,first_response_p90_min,within_sla,breached_sla,sla_met_pct,resolved,resolution_median_h,resolution_p90_h" \
	"$(head -1 "$T/r.csv" | tr -d '\r')"
check "CSV row" "support,480,10,10,55.0,91.0,10,0,100.0,10,5.5,9.1" "$(grep '^support,' "$T/r.csv" | tr -d '\r')"
check "CSV null is an empty cell" "(all queues),,15" "$(grep '^(all' "$T/r.csv" | cut -d, -f1-3)"
check "CSV lines end in CRLF" 4 "$(grep -c "$(printf '\r')\$" "$T/r.csv")"
python3 -c 'import csv,sys; rows=list(csv.DictReader(open(sys.argv[1], newline=""))); assert len(rows) == 3 and rows[0]["queue"] == "returns"' "$T/r.csv" && ok "CSV parses" || fail "CSV parse"
"$CAREDESK" report customers --from 2026-06-01 --to 2026-06-14 >"$T/r.txt"
grep -q "^New customers, 2026-06-01 to 2026-06-14 (by day)" "$T/r.txt" && ok "table has a title line" || fail "table title"
grep -q "^PERIOD  *NEW_CUSTOMERS  *TOTAL_CUSTOMERS" "$T/r.txt" && ok "table header" || fail "table header"

# charts
for r in customers tickets response rma-sku rma-reason offers volume; do
	"$CAREDESK" report "$r" --from 2026-06-01 --to 2026-06-14 --chart "$T/$r.svg" >/dev/null
	xmllint --noout "$T/$r.svg" 2>"$T/xml.err" && ok "$r chart is valid SVG" || fail "$r SVG: $(cat "$T/xml.err")"
done
grep -q "<svg" "$T/volume.svg" && ok "an svg root" || fail "svg root"
"$CAREDESK" report tickets --from 2026-06-01 --to 2026-06-14 --chart "$T/tickets.png" --csv >/dev/null
file "$T/tickets.png" | grep -q "PNG image data, 960 x 540" && ok "PNG chart" || fail "PNG: $(file "$T/tickets.png")"
run "$CAREDESK" report tickets --chart "$T/x.gif"
check "unknown chart format exits EX_USAGE" 64 "$rc"
run "$CAREDESK" report nonsense
check "unknown report exits EX_USAGE" 64 "$rc"
grep -q "one of customers, tickets" "$T/err" && ok "unknown report lists the reports" || fail "unknown report: $(cat "$T/err")"
run "$CAREDESK" report customers --by year
check "bad --by exits EX_USAGE" 64 "$rc"
run "$CAREDESK" report customers --from 2026-06-10 --to 2026-06-01
check "empty period refused" 64 "$rc"
"$CAREDESK" report | grep -q "^  rma-reason" && ok "report without a name lists them" || fail "report list"
finish
