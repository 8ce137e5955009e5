/* cmd_account.c - `caredesk account password|token`: a customer's web password set by an admin
 * (the demo, support by phone), and the API tokens of the shop (core/account.h). */
#include "account.h"
#include "admin.h"
#include "log.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

char *
admin_password_hash(const char *what, const char *password)
{
	char *line = NULL;
	if (password == NULL) {
		char buf[1024];
		/* on a terminal: a prompt, and the password not echoed */
		struct termios old, quiet;
		gboolean tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
		if (tty) {
			fputs("Password: ", stderr);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		char *got = fgets(buf, sizeof buf, stdin);
		if (tty) {
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
			fputc('\n', stderr);
		}
		if (got == NULL)
			cd_die(EX_USAGE, "%s: no password on stdin", what);
		buf[strcspn(buf, "\r\n")] = '\0';
		password = line = g_strdup(buf);
	}
	if (strlen(password) < 8)
		cd_die(EX_USAGE, "%s: at least 8 characters", what);
	char *hash = cd_password_hash(password);
	if (hash == NULL)
		cd_die(EX_SOFTWARE, "%s: hashing failed", what);
	if (line)
		sodium_memzero(line, strlen(line));
	g_free(line);
	return hash;
}

static int
account_password(int argc, char **argv)
{
	char *password = NULL;
	GOptionEntry entries[] = {
		{"password", 'p', 0, G_OPTION_ARG_STRING, &password, "the password (default: one line from stdin)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "account password EMAIL|ID - set a customer's web password",
	            "Ends every web session of the customer. The customer must be active to log in.", entries);
	if (argc < 4)
		cd_die(EX_USAGE, "account password EMAIL|ID [--password TEXT]");
	char *hash = admin_password_hash("account password", password);
	admin_ctx a;
	admin_open(&a);
	gint64 id = admin_customer_id(a.store, argv[3]);
	GError *error = NULL;
	admin_begin(&a);
	gboolean ok = cd_customer_set_password(a.store, id, hash, admin_actor(), "set by an admin", &error);
	admin_commit(&a, ok, error);
	printf("password of %s set\n", argv[3]);
	g_free(hash);
	g_free(password);
	admin_close(&a);
	return EX_OK;
}

static int
account_token(int argc, char **argv)
{
	admin_parse(&argc, &argv, "account token create|revoke|list [NAME] - API tokens of the shop",
	            "create prints the token once (only its hash is kept); creating NAME again replaces it.", NULL);
	const char *what = argc > 3 ? argv[3] : "";
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	if (strcmp(what, "list") == 0) {
		sqlite3_stmt *st = admin_prepare(a.store,
		                                 "SELECT name, " ADMIN_ISO("created_at") " AS created, coalesce("
		                                 ADMIN_ISO("last_used_at") ", '-') AS last_used, CASE WHEN revoked_at IS NULL "
		                                 "THEN 'active' ELSE 'revoked' END AS state FROM api_tokens ORDER BY name");
		JsonNode *rows = admin_rows(a.store, st);
		static const char *const cols[] = {"name", "created", "last_used", "state", NULL};
		admin_print_rows(rows, cols);
		json_node_unref(rows);
	} else if (strcmp(what, "create") == 0 && argc > 4) {
		char *token = NULL;
		admin_begin(&a);
		gboolean ok = cd_apitoken_create(a.store, argv[4], &token, &error);
		admin_commit(&a, ok, error);
		printf("%s\n", token);
		g_free(token);
	} else if (strcmp(what, "revoke") == 0 && argc > 4) {
		gboolean revoked = FALSE;
		admin_begin(&a);
		gboolean ok = cd_apitoken_revoke(a.store, argv[4], &revoked, &error);
		admin_commit(&a, ok, error);
		if (!revoked)
			cd_die(EX_NOINPUT, "account token: no active token %s", argv[4]);
		printf("revoked %s\n", argv[4]);
	} else {
		cd_die(EX_USAGE, "account token create NAME | revoke NAME | list");
	}
	admin_close(&a);
	return EX_OK;
}

int
cmd_account(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "password") == 0)
		return account_password(argc, argv);
	if (strcmp(sub, "token") == 0)
		return account_token(argc, argv);
	cd_die(EX_USAGE, "account: password EMAIL|ID or token create|revoke|list");
}
