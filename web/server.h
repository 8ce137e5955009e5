/* server.h - start and stop caredesk-web's civetweb server (server.c). */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include "app.h"

/* web_server_start - serve state's pages on listen (NULL: [web] listen); NULL with a reason when
 * the port cannot be opened. */
struct mg_context *web_server_start(web_app *state, cd_config *cfg, const char *listen, GError **error);
void web_server_stop(struct mg_context *ctx);

#endif
