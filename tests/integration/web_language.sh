#!/bin/sh
# web_language.sh - the web view in the customer's language: a customer whose language is German
# gets every page in German (navigation, headings, the handlers' titles, errors and notices); a
# visitor who is not logged in gets the browser's first language that caredesk has (Accept-Language),
# else English; a customer who chose English keeps English whatever the browser says. Every German
# page renders, and no English heading is left on it.
. "$(dirname "$0")/../lib.sh"
WEB_PORT=18204
. "$CAREDESK_SRC/tests/web_lib.sh"
setup_caredesk
start_web
customer greta@example.de "greta-password-1" "Greta Beispiel"
customer ed@example.com "ed-password-1234" "Ed Example"
"$CAREDESK" customer set greta@example.de --language de >/dev/null
cat >"$T/orders.json" <<'JSON'
[{"ref": "D-1", "email": "greta@example.de", "status": "delivered",
  "lines": [{"sku": "K1", "description": "Kaffeemühle", "quantity": 1, "unit_price": "49.00"}]}]
JSON
"$CAREDESK" order import "$T/orders.json" >/dev/null
"$CAREDESK" offer create --customer greta@example.de --line "SV-1:1:20.00:Wartung" --title "Wartung" >/dev/null
printf 'From: Greta <greta@example.de>\nTo: support@example.test\nSubject: Mühle mahlt nicht\nMessage-ID: <g1@example.de>\n\nHallo, die Mühle mahlt nicht mehr.\n' >"$T/g1.eml"
pipe "$T/g1.eml"
settle

# --- not logged in: the browser's language ---
web anon -H "Accept-Language: de-DE,de;q=0.9,en;q=0.8" "$U/login"
check "login page" 200 "$code"
grep -q '<html lang="de">' "$T/body" && grep -q '<h1>Anmelden</h1>' "$T/body" && grep -q '<title>Anmelden ·' "$T/body" \
	&& ok "Accept-Language de: the login page in German, its title too" || fail "login page: $(grep -o '<h1>[^<]*' "$T/body")"
web anon -H "Accept-Language: fr-FR,fr;q=0.9,de;q=0.5" "$U/login"
grep -q '<h1>Anmelden</h1>' "$T/body" && ok "the first language caredesk has (fr has no pages, de has)" || fail "fr,de: $(grep -o '<h1>[^<]*' "$T/body")"
web anon -H "Accept-Language: en-GB,de;q=0.5" "$U/login"
grep -q '<h1>Log in</h1>' "$T/body" && ok "English first: English" || fail "en,de: $(grep -o '<h1>[^<]*' "$T/body")"
web anon "$U/login"
grep -q '<html lang="en">' "$T/body" && ok "no Accept-Language: English" || fail "no header: $(grep -o '<html[^>]*' "$T/body")"
login anon greta@example.de wrong-password-1 -H "Accept-Language: de"
grep -q 'Die E-Mail-Adresse oder das Passwort ist falsch.' "$T/body" && ok "the handler's error in German" \
	|| fail "login error: $(grep -o 'class="error"[^<]*' "$T/body")"

# --- a German customer: every page German, whatever the browser says ---
login g greta@example.de greta-password-1 -H "Accept-Language: en"
check "Greta logs in" 303 "$code"
tid=$(sql "SELECT printf('T-%06d', max(id)) FROM tickets")
offer=$(sql "SELECT ref FROM offers LIMIT 1")
for page in /orders /orders/D-1 /orders/D-1/invoice /offers "/offers/$offer" /tickets "/tickets/$tid" /account; do
	web g -H "Accept-Language: en" "$U$page"
	[ "$code" = 200 ] && grep -q '<html lang="de">' "$T/body" && ok "$page: 200, German" || fail "$page: $code $(grep -o '<html[^>]*' "$T/body")"
	for english in '>Log out<' '>My orders<' '>My offers<' '>My account<' '>Orders<' 'Back to my orders' '>Total<' '<h2>Items</h2>' \
		'<h2>History</h2>' 'Your reply' '>Settings<' '>Password<' 'Invoice address'; do
		grep -q "$english" "$T/body" && fail "$page still says $english"
	done
done
web g "$U/orders"
grep -q '<h1>Meine Bestellungen</h1>' "$T/body" && grep -q '>Abmelden<' "$T/body" && ok "headings and navigation in German" \
	|| fail "orders page: $(grep -o '<h1>[^<]*' "$T/body")"
web g "$U/account"
grep -q 'Rechnungsadresse' "$T/body" && ok "the address labels from the handler in German" || fail "account: no Rechnungsadresse"
tok=$(csrf g /account)
web g --data-urlencode "csrf=$tok" -d "language=de&notify_channel=email" "$U/account/settings"
grep -q 'Ihre Einstellungen wurden gespeichert.' "$T/body" && ok "a notice in German" || fail "settings notice: $(grep -o 'class="notice"[^<]*' "$T/body")"
web g "$U/orders/NOPE"
check "not found" 404 "$code"
grep -q 'Diese Seite gibt es nicht, oder sie gehört nicht Ihnen.' "$T/body" && grep -q '<h1>Nicht gefunden</h1>' "$T/body" \
	&& ok "the 404 page in German" || fail "404: $(grep -o '<h1>[^<]*' "$T/body")"

# --- an English customer keeps English, whatever the browser says ---
"$CAREDESK" customer set ed@example.com --language en >/dev/null
login e ed@example.com ed-password-1234 -H "Accept-Language: de"
web e -H "Accept-Language: de" "$U/orders"
grep -q '<h1>My orders</h1>' "$T/body" && ok "the customer's English wins over the browser's German" \
	|| fail "ed's orders: $(grep -o '<h1>[^<]*' "$T/body")"

finish
