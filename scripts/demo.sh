#!/bin/sh
# demo.sh BUILD [--noserve] - a demo installation in BUILD/demo: agents and customers, sample mail
# (a reply thread, HTML-only, non-UTF-8, an out-of-office reply, a bounce, a stranger copying a
# ticket tag, a return request in German) and orders from the shop taken in through the MTA pipe,
# sample SMS (a question, a return request by keyword, HELP) from an smstools spool, then the
# resulting tickets, returns and queued answers.
set -eu
build=$(cd "$1" && pwd)
serve=yes
[ "${2:-}" = "--noserve" ] && serve=no
src=$(cd "$(dirname "$0")/.." && pwd)
bin="$build/bin"
demo="$build/demo"
rm -rf "$demo"
"$bin/caredesk" init "$demo" --domain example.test
export CAREDESK_CONF="$demo/caredesk.conf"
sed -i 's/^listen = .*/listen = 127.0.0.1:8080/' "$CAREDESK_CONF"

echo; echo "== agents and customers"
"$bin/caredesk" agent add ana ana@example.test "Ana Agent"
"$bin/caredesk" agent add ben ben@example.test "Ben Berger" --role admin
"$bin/caredesk" customer add bob.keller@example.net --name "Bob Keller" --phone +4930123456
"$bin/caredesk" customer add carla@example.fr --name "Carla Dupont"

echo; echo "== orders from the shop"
"$bin/caredesk" order import "$src/demo/orders.json"

echo; echo "== sample mail through caredesk-mailgw pipe (as Postfix delivers it)"
for f in "$src"/demo/mail/*.eml; do
	"$bin/caredesk-mailgw" pipe -r support@example.test <"$f"
	echo "$(basename "$f"): exit $?"
done
"$bin/caredesk-mailgw" process

echo; echo "== sample SMS through caredesk-mailgw sms-spool (as smstools leaves them; answers go to $demo/sms-out)"
mkdir -p "$demo/sms-in" "$demo/sms-out"
cp "$src"/demo/sms/* "$demo/sms-in/"
sed -i -e 's|^# provider = kannel|provider = spool|' -e "s|^# spool_dir = .*|spool_dir = $demo/sms-out|" "$CAREDESK_CONF"
"$bin/caredesk-mailgw" sms-spool "$demo/sms-in"

echo; echo "== caredesk ticket list"
"$bin/caredesk" ticket list
echo; echo "== caredesk ticket show T-000001"
"$bin/caredesk" ticket show T-000001
echo; echo "== caredesk rma list"
"$bin/caredesk" rma list
echo; echo "== caredesk outbox list (answers queued by the mail above; caredesk-mailgw deliver sends them)"
"$bin/caredesk" outbox list
first=$("$bin/caredesk" outbox list --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[-1]["id"] if r else "")')
if [ -n "$first" ]; then
	echo; echo "== caredesk outbox show $first"
	"$bin/caredesk" outbox show "$first"
fi
echo; echo "== a web account: Bob logs in with a password, sees his orders and an offer"
"$bin/caredesk" account password bob.keller@example.net --password demo-password-1
token=$("$bin/caredesk" account token create shop)
"$bin/caredesk" offer create --customer bob.keller@example.net --title "Extended warranty" \
	--line "WAR-3Y:1:49.00:Three more years of warranty" --line "CLN-1:2:9.90:Cleaning kit"
"$bin/caredesk" blocklist add domain spam.example --reason "demo: a known fraud domain" >/dev/null

echo; echo "== caredesk doctor"
"$bin/caredesk" doctor || true

echo
echo "Demo installation: $demo (export CAREDESK_CONF=$CAREDESK_CONF to use it)"
echo
echo "Customer web view: http://127.0.0.1:8080/login"
echo "  log in as bob.keller@example.net with the password demo-password-1"
echo "  or create an account at /register (the activation mail is in: caredesk outbox list)"
echo "Shop API token (shown once): $token"
echo "  curl -H 'Authorization: Bearer $token' 'http://127.0.0.1:8080/api/v1/customers?email=bob.keller@example.net'"
if [ "$serve" = yes ]; then
	echo "caredesk-web runs until Ctrl-C"
	exec "$bin/caredesk-web"
fi
