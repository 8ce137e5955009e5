/* parsepool.h - parsing many messages on worker threads while one consumer (the database
 * writer) takes the results strictly in input order, so threading decisions stay deterministic.
 * At most `window` results wait ahead of the consumer (bounded memory). */
#ifndef CD_PARSEPOOL_H
#define CD_PARSEPOOL_H

#include "mime.h"

typedef struct {
	gpointer item;      /* the caller's item */
	GBytes *bytes;      /* NULL when loading failed */
	GError *error;      /* why loading failed */
	cd_message *msg;    /* NULL when loading failed */
} cd_parsed;

/* load the bytes of one item (read a file, ...); runs on a worker thread. */
typedef GBytes *(*cd_parse_load_fn)(gpointer item, gpointer user, GError **error);

typedef struct cd_parse_pool cd_parse_pool;

/* threads = 0 parses in the consumer's thread. items must outlive the pool. */
cd_parse_pool *cd_parse_pool_new(GPtrArray *items, cd_parse_load_fn load, gpointer user, const cd_mime_options *opt,
                                 guint threads, guint window);
/* cd_parse_pool_next - the next result in input order (blocks), NULL after the last. */
cd_parsed *cd_parse_pool_next(cd_parse_pool *pool);
void cd_parse_pool_free(cd_parse_pool *pool);
void cd_parsed_free(cd_parsed *p);

/* cd_parse_threads - worker threads worth using on this machine (processors, at least 1). */
guint cd_parse_threads(void);

#endif
