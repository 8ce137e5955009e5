# web_lib.sh - helpers of the web tests (sourced after lib.sh): a caredesk-web of this build on
# WEB_PORT, stopped by the test's CLEANUP; curl with a cookie jar per "browser"; CSRF tokens.
WEB="$CAREDESK_BIN/caredesk-web"
U="http://127.0.0.1:$WEB_PORT"

# start_web [KEY=VALUE ...]: extra [web] settings, then the server (waits for /healthz)
start_web() {
	sed -i "s/^listen = .*/listen = 127.0.0.1:$WEB_PORT/; s#^base_url = .*#base_url = $U#" "$CAREDESK_CONF"
	for kv in "$@"; do
		if grep -q "^${kv%%=*} *=" "$CAREDESK_CONF"; then
			sed -i "s|^${kv%%=*} *=.*|${kv%%=*} = ${kv#*=}|" "$CAREDESK_CONF"
		else
			sed -i "/^\[web\]/a ${kv%%=*} = ${kv#*=}" "$CAREDESK_CONF"
		fi
	done
	"$WEB" </dev/null >"$T/web.log" 2>&1 &
	WEB_PID=$!
	CLEANUP="stop_web"
	i=0
	until curl -sf "$U/healthz" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 200 ] || { cat "$T/web.log" >&2; die "caredesk-web did not start"; }
		kill -0 $WEB_PID 2>/dev/null || { cat "$T/web.log" >&2; die "caredesk-web exited"; }
		sleep 0.05
	done
}

stop_web() {
	[ -n "${WEB_PID:-}" ] || return 0
	kill -TERM "$WEB_PID" 2>/dev/null || true
	wait "$WEB_PID" 2>/dev/null || true
	WEB_PID=
}

# web JAR ARGS...: curl with the cookie jar $T/JAR.jar; body to $T/body, headers to $T/head,
# the status in $code
web() {
	jar="$T/$1.jar"; shift
	code=$(curl -s -b "$jar" -c "$jar" -D "$T/head" -o "$T/body" -w '%{http_code}' "$@")
}

# csrf JAR PATH: the CSRF token of the first form on PATH
csrf() {
	web "$1" "$U$2"
	sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$T/body" | head -1
}

# login JAR EMAIL PASSWORD [curl args]: sets $code (303 on success)
login() {
	tok=$(csrf "$1" /login)
	j=$1; e=$2; p=$3; shift 3
	web "$j" "$@" --data-urlencode "csrf=$tok" --data-urlencode "email=$e" --data-urlencode "password=$p" "$U/login"
}

# outbox_link KIND: the newest link of an outbox row of that kind
outbox_link() {
	sql "SELECT body_text FROM outbox WHERE kind = '$1' ORDER BY id DESC LIMIT 1" | grep -o "$U/[^ ]*token=[A-Za-z0-9_-]*" | head -1
}

# customer EMAIL PASSWORD NAME: an active customer with a web password
customer() {
	"$CAREDESK" customer add "$1" --name "$3" >/dev/null
	"$CAREDESK" account password "$1" --password "$2" >/dev/null
}
