#!/bin/sh
# rules_bench.sh BUILD [N] - the filter rules benchmark: 1,000 generated rules over N (default 2000)
# messages from gen_messages.py (seed 42), evaluated with PCRE2 JIT on and off and with the
# prefilter (required literals, one multi-literal scan per field) on and off. Prints microseconds per
# message for each of the four, the ratios, and checks that all four decide every message alike.
# Target: at most 100 us per message with JIT and prefilter.
#
# The rules imitate what admins write: about 70 % subject/body regexes with words in them (word
# lists, phrases, order numbers, a few captures), 15 % header and address rules, 10 % rules on
# customer, tags, size and attachments, 5 % regexes without any literal (digits, shapes), which no
# prefilter can skip. Words come from the same vocabulary as the messages, plus words the messages
# never use, so most rules do not match (as in real rule sets).
set -eu
build=$(cd "$1" && pwd)
n=${2:-2000}
here=$(cd "$(dirname "$0")" && pwd)
w="$build/bench-work/rules"
rm -rf "$w"
mkdir -p "$w/rules"
python3 "$here/gen_messages.py" "$w/msgs" "$n" 42 "${ATTACH_RATE:-0.2}"
python3 - "$w/rules" <<'PY'
import random, sys
out = sys.argv[1]
rng = random.Random(1000)
seen = ("printer error order delivery invoice refund screen broken replace warranty serial number return "
        "package damaged account password login cannot since yesterday please help urgent thanks regards "
        "hello again still waiting update firmware cable battery charger display device model shipping "
        "address payment card reset restart Drucker Fehler Bestellung Lieferung Rechnung Rückerstattung "
        "defekt Garantie imprimante erreur commande livraison facture remboursement écran cassé").split()
unseen = ("toner cartridge scanner fax modem router wifi bluetooth headset keyboard mouse monitor tablet "
          "laptop charger-cable adapter voucher coupon discount subscription renewal licence activation "
          "trial upgrade downgrade migration backup restore sync calendar contact newsletter unsubscribe "
          "complaint lawyer chargeback fraud phishing invoice-copy duplicate overcharge tracking customs "
          "Zoll Paket Kündigung Widerruf Mahnung Gutschein résiliation colis douane reçu devolución "
          "garantía pedido factura reembolso").split()
def word():
    return rng.choice(seen) if rng.random() < 0.45 else rng.choice(unseen)
def esc(w):
    return "".join("\\" + c if not c.isalnum() and ord(c) < 128 else c for c in w)
def text_cond():
    f = rng.choice(["subject", "subject", "body", "body", "fullbody"])
    k = rng.random()
    if k < 0.30:
        return '%s ~ /\\b(%s)\\b/i' % (f, "|".join(esc(word()) for _ in range(rng.randint(1, 5))))
    if k < 0.50:
        return '%s ~ /\\b%s\\s+(%s|%s)\\b/i' % (f, esc(word()), esc(word()), esc(word()))
    if k < 0.65:
        return '%s ~ /%s.{0,40}%s/is' % (f, esc(word()), esc(word()))
    if k < 0.75:
        return '%s contains "%s %s"' % (f, word(), word())
    if k < 0.85:
        return '%s ~ /^(re:\\s*)?%s/i' % ("subject", esc(word()))
    return '%s ~ /\\b%s\\s*#?\\s*[A-Z]\\d{3,}\\b/' % (f, rng.choice(["order", "Bestellung", "commande", "invoice", "ticket"]))
def header_cond():
    return rng.choice([
        'header "X-Mailer" ~ /%s/i' % rng.choice(["Outlook", "Thunderbird", "Apple Mail", "K-9"]),
        'header "List-Id" exists',
        'header "Precedence" ~ /^(bulk|list|junk)/i',
        'header "X-Spam-Status" ~ /^yes/i',
        'from ~ /@example%d\\.org$/' % rng.randint(0, 60),
        'from == "customer%d@example%d.org"' % (rng.randint(0, 600), rng.randint(0, 36)),
        'to == "%s@example.test"' % rng.choice(["sales", "billing", "returns", "jobs"]),
        'cc exists',
        'header "Auto-Submitted" ~ /^auto-/',
        'header "X-Priority" ~ /^[12]/',
    ])
def other_cond():
    return rng.choice([
        'customer == unknown and size > %dk' % rng.randint(20, 200),
        'customer.tag == %s' % rng.choice(["vip", "reseller", "blocked", "press"]),
        'channel == sms',
        'attachment.type == "application/pdf"',
        'attachment.name ~ /\\.(exe|scr|zip)$/i',
        'size > %dk' % rng.randint(100, 2000),
        'customer == agent',
    ])
def noliteral_cond():
    return rng.choice([
        'subject ~ /^\\S+$/',
        'subject ~ /[A-Z]{6,}/',
        'from ~ /^\\d/',
        'subject ~ /\\d{5,}/',
        'header "Message-ID" ~ /^[^@]{60,}@/',
        'body ~ /\\d{6}/',
        'subject ~ /(.)\\1{4}/',
    ])
def condition():
    k = rng.random()
    if k < 0.70:
        c = text_cond()
        if rng.random() < 0.3:
            c += rng.choice([" and ", " and not ", " or "]) + text_cond()
        return c
    if k < 0.85:
        return header_cond() + (" and " + text_cond() if rng.random() < 0.3 else "")
    if k < 0.95:
        return other_cond()
    return noliteral_cond()
def actions(i):
    a = []
    r = rng.random()
    if r < 0.4: a.append("tag t%d" % (i % 50))
    elif r < 0.6: a.append("queue q%d" % (i % 8))
    elif r < 0.75: a.append("priority %s" % rng.choice(["low", "high", "urgent"]))
    elif r < 0.85: a.append("type %s" % rng.choice(["ticket", "rma", "spam"]))
    else: a.append('notify "q%d"' % (i % 8))
    if rng.random() < 0.1:
        a.append("capture ref%d = body ~ /\\b(?:order|invoice)\\s*#?\\s*(?<ref%d>[A-Z]?\\d{3,})/i" % (i % 5, i % 5))
    return a  # no stop: every message meets all 1,000 rules
for f in range(10):
    with open("%s/%02d-generated.rules" % (out, f * 10), "w") as fh:
        for j in range(100):
            i = f * 100 + j
            fh.write('rule "generated %d"\n  when %s\n  then %s\n\n' % (i, condition(), "\n       ".join(actions(i))))
PY
echo "bench: $(ls "$w/msgs" | wc -l) messages, $(cat "$w"/rules/*.rules | grep -c '^rule ') rules; $(nproc) cores"
"$build/bin/cd-bench-rules" "$w/rules" "$w/msgs"
