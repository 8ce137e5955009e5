/* schema.h - the database schema as an ordered list of forward migrations.
 *
 * Migration N takes a database from user_version N-1 to N. Migrations only add: new tables,
 * new columns, new indexes, data back-fills. They never drop or rewrite data. */
#ifndef CD_SCHEMA_H
#define CD_SCHEMA_H

int cd_schema_latest(void);
const char *cd_schema_migration(int version);

#endif
