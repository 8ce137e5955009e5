/* fuzz_webhttp.c - libFuzzer target: raw bytes as an HTTP request to the real caredesk-web server
 * (server.h: civetweb, every route, the page handlers, the shop's API, the SMS callbacks), started
 * once in this process on a loopback port over a fresh installation (`caredesk init`) with one
 * customer, an order and an offer. So that the fuzzer gets past the login and the CSRF check,
 * "@SESSION@" in the input becomes that customer's session token and "@CSRF@" the form token that
 * goes with it. Each request is written, the write side shut, and the answer read; a crash
 * anywhere (ASan, UBSan, in any server thread) or a 500 answer is a finding. */
#include "app.h"
#include "account.h"
#include "pdf.h"
#include "secret.h"
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef CAREDESK_BIN_DIR
#error "CAREDESK_BIN_DIR must name the folder of the caredesk program"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static web_app state;
static struct mg_context *server;
static int port;

/* stop - the server's threads end before the process does (atexit): a worker still closing a
 * connection while exit() tears the libraries down would crash the run, not the product */
static void
stop(void)
{
	if (server)
		web_server_stop(server);
	server = NULL;
}
static char *session, csrf[CD_TOKEN_CHARS + 1];

static void
start(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("cd-fuzz-web-XXXXXX", &error);
	char *conf = g_build_filename(dir, "caredesk.conf", NULL);
	char *argv[] = {CAREDESK_BIN_DIR "/caredesk", "init", dir, "--domain", "example.test", NULL};
	gint status = 0;
	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error) ||
	    !g_spawn_check_wait_status(status, &error))
		g_error("caredesk init: %s", error->message);
	cd_config *cfg = cd_config_load(conf, &error);
	if (cfg == NULL || !app_init(&state, cfg, &error))
		g_error("web app: %s", error->message);
	if (!cd_store_exec(state.store,
	                   "INSERT INTO customers(id, email, name, status, created_at, updated_at) "
	                   "VALUES (1, 'fuzz@example.org', 'Fuzz', 'active', 0, 0);"
	                   "INSERT INTO orders(id, ref, customer_id, status, currency, total_cents, ordered_at, created_at, "
	                   "updated_at) VALUES (1, 'A1001', 1, 'delivered', 'EUR', 4980, 0, 0, 0);"
	                   "INSERT INTO order_lines(order_id, line_no, sku, description, quantity, unit_price_cents, "
	                   "delivered_at) VALUES (1, 1, 'PX-200', 'printer', 2, 2490, unixepoch());"
	                   "INSERT INTO offers(id, ref, customer_id, currency, total_cents, valid_until, created_at, "
	                   "updated_at) VALUES (1, 'OF-000001', 1, 'EUR', 100, unixepoch() + 86400, 0, 0);"
	                   "INSERT INTO offer_lines(offer_id, line_no, sku, quantity, unit_price_cents) "
	                   "VALUES (1, 1, 'SV-1', 1, 100);"
	                   "INSERT INTO tickets(id, customer_id, queue_id, subject, created_at, updated_at) "
	                   "VALUES (1, 1, 1, 'broken', 0, 0);"
	                   "INSERT INTO messages(id, ticket_id, direction, channel, author_kind, customer_id, body_full, "
	                   "created_at) VALUES (1, 1, 'in', 'email', 'customer', 1, 'see photo', 0);"
	                   "INSERT INTO attachments(id, message_id, filename, content_type, size, sha256, content) "
	                   "VALUES (1, 1, 'photo.jpg', 'image/jpeg', 4, 'x', X'FFD8FFE0');",
	                   &error) ||
	    !cd_session_create(state.store, &state.web, 1, "127.0.0.1", &session, &error))
		g_error("fixture: %s", error->message);
	char *msg = g_strconcat("csrf|", session, NULL);
	cd_secret_mac(state.secret, msg, csrf);
	g_free(msg);
	server = web_server_start(&state, cfg, "127.0.0.1:0", &error);
	if (server == NULL)
		g_error("%s", error->message);
	atexit(stop);
	struct mg_server_port ports[1];
	if (mg_get_server_ports(server, 1, ports) < 1)
		g_error("no listening port");
	port = ports[0].port;
	g_free(conf);
	g_free(dir);
}

/* substitute - the input with the placeholders replaced */
static GString *
substitute(const uint8_t *data, size_t size)
{
	GString *s = g_string_new_len((const char *)data, (gssize)size);
	g_string_replace(s, "@SESSION@", session, 0);
	g_string_replace(s, "@CSRF@", csrf, 0);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (port == 0)
		start();
	GString *req = substitute(data, size);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {.tv_sec = 20};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	/* libFuzzer's timer signal can interrupt a blocking call: connect then goes on by itself */
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (errno == EISCONN)
			break;
		if (errno == EINTR || errno == EALREADY) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			poll(&p, 1, 1000);
			continue;
		}
		g_error("connect: %s", g_strerror(errno));
	}
	gsize off = 0;
	while (off < req->len) {
		ssize_t n = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the server closed early: an answer to what it read may still come */
		off += (gsize)n;
	}
	shutdown(fd, SHUT_WR);
	char head[16];
	gsize got = 0;
	char buf[65536];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		if (got < sizeof head)
			memcpy(head + got, buf, MIN(sizeof head - got, (gsize)n));
		got += (gsize)n;
	}
	close(fd);
	if (g_getenv("CAREDESK_FUZZ_VERBOSE")) /* for writing seeds: what each one reached */
		fprintf(stderr, "%.*s -> %.12s\n", (int)MIN(req->len, 60), req->str, got >= 12 ? head : "(no answer)");
	g_string_free(req, TRUE);
	/* "HTTP/1.1 500 ": a handler failed on input it should have refused. (civetweb's own answers
	 * to a malformed request line repeat the client's version, "HTTP/1.1/500...": not ours.) */
	if (got >= 13 && memcmp(head, "HTTP/1.1 500 ", 13) == 0)
		__builtin_trap();
	return 0;
}
