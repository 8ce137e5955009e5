#!/usr/bin/env python3
"""gen_messages.py OUTDIR N [SEED [ATTACH_RATE]] - realistic support mail for the benchmarks.

multipart/alternative text + HTML bodies of a few KB, about a fifth with an attachment
(10-120 KB), about a third replies to an earlier message (In-Reply-To, References, "Re:",
quoted history), 500 distinct senders, a few languages and charsets. Deterministic per seed."""
import os
import random
import sys
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
import datetime

WORDS = ("printer error order delivery invoice refund screen broken replace warranty serial "
         "number return package damaged account password login cannot since yesterday please "
         "help urgent thanks regards hello again still waiting update firmware cable battery "
         "charger display device model shipping address payment card reset restart").split()
DE = "Drucker Fehler Bestellung Lieferung Rechnung Rückerstattung defekt Garantie bitte danke".split()
FR = "imprimante erreur commande livraison facture remboursement écran cassé garantie merci".split()


def sentence(rng, n):
    pool = rng.choice([WORDS, WORDS, WORDS, DE, FR])
    return " ".join(rng.choice(pool) for _ in range(n)).capitalize() + "."


def body(rng):
    return "\n\n".join(" ".join(sentence(rng, rng.randint(6, 16)) for _ in range(rng.randint(2, 5)))
                       for _ in range(rng.randint(2, 6)))


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    attach_rate = float(sys.argv[4]) if len(sys.argv) > 4 else 0.2
    os.makedirs(out, exist_ok=True)
    senders = [f"customer{i}@example{i % 37}.org" for i in range(500)]
    sent = []  # (message-id, subject, sender, text)
    start = datetime.datetime(2026, 11, 1, 8, 0, tzinfo=datetime.timezone.utc)
    for i in range(n):
        m = EmailMessage()
        text = body(rng)
        if sent and rng.random() < 0.33:
            # a reply to one of the earlier messages, not the one just before (replies come later)
            mid, subj, sender, old = rng.choice(sent[-200:-10] or sent[:1])
            m["Subject"] = "Re: " + subj
            m["In-Reply-To"] = mid
            m["References"] = mid
            quoted = "\n".join("> " + line for line in old.splitlines())
            text = f"{text}\n\nOn Mon, 2 Nov 2026 at 10:00, {sender} wrote:\n{quoted}\n"
        else:
            sender = rng.choice(senders)
            subj = sentence(rng, rng.randint(3, 7))[:-1]
            m["Subject"] = subj
        m["From"] = f"Customer {senders.index(sender)} <{sender}>"
        m["To"] = "support@example.test"
        m["Date"] = format_datetime(start + datetime.timedelta(seconds=37 * i))
        mid = make_msgid(idstring=str(i), domain="bench.example")
        m["Message-ID"] = mid
        text += "\n-- \nCustomer\n"
        m.set_content(text)
        html = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        m.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
        if rng.random() < attach_rate:
            m.make_mixed()
            size = rng.randint(10_000, 120_000)
            m.add_attachment(rng.randbytes(size), maintype="application", subtype="pdf",
                             filename=f"invoice-{i}.pdf")
        sent.append((mid, m["Subject"] if not m["Subject"].startswith("Re: ") else m["Subject"][4:], sender, text))
        with open(os.path.join(out, f"{1790000000 + i}.M{i}.bench"), "wb") as f:
            f.write(bytes(m))


if __name__ == "__main__":
    main()
