/* schema.c - the migrations (see schema.h). Times are Unix seconds, UTC. */
#include "schema.h"

#include <glib.h>

static const char *const migrations[] = {
/* 1: the foundation: raw store, customers, agents, queues, tickets, messages, attachments,
 *    audit, outbox, and the keys of orders, offers and RMAs. */
"CREATE TABLE settings (\n"
"  key TEXT PRIMARY KEY,\n"
"  value TEXT NOT NULL\n"
") STRICT;\n"

/* Every byte we were given, exactly once (sha256). state: pending until the pipeline ran.
 * The bytes live in raw_bodies, a row that is never updated: SQLite rewrites a whole record on
 * UPDATE, and marking a message processed must not copy its bytes again. */
"CREATE TABLE raw_messages (\n"
"  id INTEGER PRIMARY KEY,\n"
"  sha256 TEXT NOT NULL UNIQUE,\n"
"  size INTEGER NOT NULL,\n"
"  channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email','sms')),\n"
"  source TEXT NOT NULL,\n"
"  envelope_from TEXT,\n"
"  queue TEXT,\n"
"  received_at INTEGER NOT NULL,\n"
"  state TEXT NOT NULL DEFAULT 'pending'\n"
"    CHECK (state IN ('pending','done','duplicate','dropped','rejected','failed')),\n"
"  attempts INTEGER NOT NULL DEFAULT 0,\n"
"  processed_at INTEGER,\n"
"  message_id INTEGER,\n"
"  error TEXT\n"
") STRICT;\n"
"CREATE INDEX raw_messages_pending ON raw_messages(id) WHERE state = 'pending';\n"
"CREATE INDEX raw_messages_received ON raw_messages(received_at);\n"
"CREATE TABLE raw_bodies (\n"
"  raw_id INTEGER PRIMARY KEY REFERENCES raw_messages(id) ON DELETE CASCADE,\n"
"  bytes BLOB NOT NULL\n"
") STRICT;\n"

/* Each arrival of a raw message: the same bytes may reach us through two addresses or mailboxes. */
"CREATE TABLE raw_deliveries (\n"
"  id INTEGER PRIMARY KEY,\n"
"  raw_id INTEGER NOT NULL REFERENCES raw_messages(id) ON DELETE CASCADE,\n"
"  source TEXT NOT NULL,\n"
"  recipient TEXT NOT NULL DEFAULT '',\n"
"  source_ref TEXT,\n"
"  received_at INTEGER NOT NULL,\n"
"  UNIQUE (raw_id, source, recipient)\n"
") STRICT;\n"

"CREATE TABLE customers (\n"
"  id INTEGER PRIMARY KEY,\n"
"  email TEXT UNIQUE COLLATE NOCASE,\n"
"  phone TEXT UNIQUE,\n"
"  name TEXT,\n"
"  company TEXT,\n"
"  language TEXT,\n"
"  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','active','disabled')),\n"
"  customer_group TEXT,\n"
"  notify_channel TEXT NOT NULL DEFAULT 'email' CHECK (notify_channel IN ('email','sms')),\n"
"  password_hash TEXT,\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER NOT NULL\n"
") STRICT;\n"

/* Alternate addresses and numbers of a customer; may_follow: may write to and follow their tickets. */
"CREATE TABLE customer_contacts (\n"
"  id INTEGER PRIMARY KEY,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  kind TEXT NOT NULL CHECK (kind IN ('email','phone')),\n"
"  value TEXT NOT NULL COLLATE NOCASE,\n"
"  name TEXT,\n"
"  may_follow INTEGER NOT NULL DEFAULT 1,\n"
"  created_at INTEGER NOT NULL,\n"
"  UNIQUE (kind, value)\n"
") STRICT;\n"
"CREATE INDEX customer_contacts_customer ON customer_contacts(customer_id);\n"

"CREATE TABLE customer_tags (\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  tag TEXT NOT NULL,\n"
"  PRIMARY KEY (customer_id, tag)\n"
") STRICT, WITHOUT ROWID;\n"

"CREATE TABLE agents (\n"
"  id INTEGER PRIMARY KEY,\n"
"  login TEXT NOT NULL UNIQUE,\n"
"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
"  name TEXT NOT NULL,\n"
"  phone TEXT,\n"
"  role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent','admin')),\n"
"  active INTEGER NOT NULL DEFAULT 1,\n"
"  password_hash TEXT,\n"
"  created_at INTEGER NOT NULL\n"
") STRICT;\n"

"CREATE TABLE queues (\n"
"  id INTEGER PRIMARY KEY,\n"
"  name TEXT NOT NULL UNIQUE,\n"
"  address TEXT COLLATE NOCASE,\n"
"  sla_minutes INTEGER,\n"
"  created_at INTEGER NOT NULL\n"
") STRICT;\n"
"INSERT INTO queues(name, sla_minutes, created_at) VALUES ('support', 480, unixepoch());\n"

/* ref is derived: T-%06d of id. */
"CREATE TABLE tickets (\n"
"  id INTEGER PRIMARY KEY,\n"
"  customer_id INTEGER REFERENCES customers(id),\n"
"  queue_id INTEGER NOT NULL REFERENCES queues(id),\n"
"  subject TEXT NOT NULL DEFAULT '',\n"
"  type TEXT NOT NULL DEFAULT 'ticket' CHECK (type IN ('ticket','rma','activation','spam')),\n"
"  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','open','pending','resolved','closed')),\n"
"  priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),\n"
"  assignee_id INTEGER REFERENCES agents(id),\n"
"  channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email','sms','web')),\n"
"  unparsed INTEGER NOT NULL DEFAULT 0,\n"
"  auto_generated INTEGER NOT NULL DEFAULT 0,\n"
"  follow_up_of INTEGER REFERENCES tickets(id),\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER NOT NULL,\n"
"  last_customer_at INTEGER,\n"
"  first_response_at INTEGER,\n"
"  last_agent_at INTEGER,\n"
"  resolved_at INTEGER,\n"
"  closed_at INTEGER,\n"
"  escalated_at INTEGER\n"
") STRICT;\n"
"CREATE INDEX tickets_customer ON tickets(customer_id, status);\n"
"CREATE INDEX tickets_status ON tickets(status, updated_at);\n"

"CREATE TABLE ticket_tags (\n"
"  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,\n"
"  tag TEXT NOT NULL,\n"
"  PRIMARY KEY (ticket_id, tag)\n"
") STRICT, WITHOUT ROWID;\n"

/* Values captured by filter rules (order ref, serial, reason). */
"CREATE TABLE ticket_fields (\n"
"  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,\n"
"  name TEXT NOT NULL,\n"
"  value TEXT NOT NULL,\n"
"  PRIMARY KEY (ticket_id, name)\n"
") STRICT, WITHOUT ROWID;\n"

/* One message of a conversation, in or out. body_reply is the new text without quotes and
 * signature; body_full all of the text; body_html the sanitised HTML for display. */
"CREATE TABLE messages (\n"
"  id INTEGER PRIMARY KEY,\n"
"  ticket_id INTEGER REFERENCES tickets(id),\n"
"  raw_id INTEGER REFERENCES raw_messages(id),\n"
"  direction TEXT NOT NULL CHECK (direction IN ('in','out')),\n"
"  channel TEXT NOT NULL CHECK (channel IN ('email','sms','web')),\n"
"  kind TEXT NOT NULL DEFAULT 'normal'\n"
"    CHECK (kind IN ('normal','auto_reply','bounce','note','unparsed')),\n"
"  author_kind TEXT NOT NULL\n"
"    CHECK (author_kind IN ('customer','contact','agent','unverified_agent','system','unknown')),\n"
"  customer_id INTEGER REFERENCES customers(id),\n"
"  agent_id INTEGER REFERENCES agents(id),\n"
"  from_addr TEXT,\n"
"  from_name TEXT,\n"
"  to_addrs TEXT,\n"
"  cc_addrs TEXT,\n"
"  message_id TEXT,\n"
"  in_reply_to TEXT,\n"
"  references_ids TEXT,\n"
"  subject TEXT,\n"
"  body_reply TEXT,\n"
"  body_full TEXT,\n"
"  body_html TEXT,\n"
"  threaded_by TEXT,\n"
"  notes TEXT,\n"
"  sent_at INTEGER,\n"
"  created_at INTEGER NOT NULL\n"
") STRICT;\n"
"CREATE INDEX messages_ticket ON messages(ticket_id, id);\n"
"CREATE INDEX messages_message_id ON messages(message_id);\n"
"CREATE INDEX messages_raw ON messages(raw_id);\n"

"CREATE TABLE attachments (\n"
"  id INTEGER PRIMARY KEY,\n"
"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,\n"
"  filename TEXT,\n"
"  content_type TEXT NOT NULL,\n"
"  size INTEGER NOT NULL,\n"
"  sha256 TEXT NOT NULL,\n"
"  content BLOB,\n"
"  content_id TEXT,\n"
"  inline INTEGER NOT NULL DEFAULT 0,\n"
"  note TEXT\n"
") STRICT;\n"
"CREATE INDEX attachments_message ON attachments(message_id);\n"

/* Who did what, when, from which channel: the history of tickets, RMAs, offers, orders, customers. */
"CREATE TABLE audit_events (\n"
"  id INTEGER PRIMARY KEY,\n"
"  at INTEGER NOT NULL,\n"
"  actor_kind TEXT NOT NULL CHECK (actor_kind IN ('customer','agent','admin','system','rule','timer')),\n"
"  actor_id INTEGER,\n"
"  actor TEXT,\n"
"  channel TEXT,\n"
"  entity TEXT NOT NULL,\n"
"  entity_id INTEGER,\n"
"  customer_id INTEGER,\n"
"  action TEXT NOT NULL,\n"
"  from_state TEXT,\n"
"  to_state TEXT,\n"
"  note TEXT\n"
") STRICT;\n"
"CREATE INDEX audit_entity ON audit_events(entity, entity_id, id);\n"
"CREATE INDEX audit_customer ON audit_events(customer_id, id);\n"

/* Everything we send, written in the same transaction as its cause. */
"CREATE TABLE outbox (\n"
"  id INTEGER PRIMARY KEY,\n"
"  created_at INTEGER NOT NULL,\n"
"  channel TEXT NOT NULL CHECK (channel IN ('email','sms')),\n"
"  kind TEXT NOT NULL,\n"
"  ticket_id INTEGER REFERENCES tickets(id),\n"
"  customer_id INTEGER REFERENCES customers(id),\n"
"  agent_id INTEGER REFERENCES agents(id),\n"
"  cause_message_id INTEGER REFERENCES messages(id),\n"
"  recipient TEXT NOT NULL,\n"
"  sender TEXT,\n"
"  subject TEXT,\n"
"  body_text TEXT,\n"
"  body_html TEXT,\n"
"  headers TEXT,\n"
"  message_id TEXT UNIQUE,\n"
"  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sending','sent','failed','cancelled')),\n"
"  attempts INTEGER NOT NULL DEFAULT 0,\n"
"  next_attempt_at INTEGER NOT NULL,\n"
"  last_error TEXT,\n"
"  sent_at INTEGER,\n"
"  delivery_status TEXT\n"
") STRICT;\n"
"CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'queued';\n"

"CREATE TABLE orders (\n"
"  id INTEGER PRIMARY KEY,\n"
"  ref TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id),\n"
"  status TEXT NOT NULL DEFAULT 'new'\n"
"    CHECK (status IN ('new','paid','shipped','delivered','cancelled','returned')),\n"
"  currency TEXT NOT NULL DEFAULT 'EUR',\n"
"  total_cents INTEGER NOT NULL DEFAULT 0,\n"
"  ordered_at INTEGER NOT NULL,\n"
"  delivered_at INTEGER,\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER NOT NULL\n"
") STRICT;\n"
"CREATE INDEX orders_customer ON orders(customer_id);\n"

"CREATE TABLE order_lines (\n"
"  id INTEGER PRIMARY KEY,\n"
"  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,\n"
"  line_no INTEGER NOT NULL,\n"
"  sku TEXT NOT NULL,\n"
"  description TEXT,\n"
"  quantity INTEGER NOT NULL CHECK (quantity > 0),\n"
"  unit_price_cents INTEGER NOT NULL DEFAULT 0,\n"
"  warranty_days INTEGER NOT NULL DEFAULT 730,\n"
"  serial TEXT,\n"
"  delivered_at INTEGER,\n"
"  UNIQUE (order_id, line_no)\n"
") STRICT;\n"

"CREATE TABLE offers (\n"
"  id INTEGER PRIMARY KEY,\n"
"  ref TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id),\n"
"  ticket_id INTEGER REFERENCES tickets(id),\n"
"  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','accepted','rejected','expired')),\n"
"  currency TEXT NOT NULL DEFAULT 'EUR',\n"
"  total_cents INTEGER NOT NULL DEFAULT 0,\n"
"  valid_until INTEGER,\n"
"  decided_at INTEGER,\n"
"  decision_comment TEXT,\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER NOT NULL\n"
") STRICT;\n"
"CREATE INDEX offers_customer ON offers(customer_id);\n"

"CREATE TABLE offer_lines (\n"
"  id INTEGER PRIMARY KEY,\n"
"  offer_id INTEGER NOT NULL REFERENCES offers(id) ON DELETE CASCADE,\n"
"  line_no INTEGER NOT NULL,\n"
"  sku TEXT NOT NULL,\n"
"  description TEXT,\n"
"  quantity INTEGER NOT NULL CHECK (quantity > 0),\n"
"  unit_price_cents INTEGER NOT NULL DEFAULT 0,\n"
"  UNIQUE (offer_id, line_no)\n"
") STRICT;\n"

/* ref is derived: RMA-%06d of id. */
"CREATE TABLE rmas (\n"
"  id INTEGER PRIMARY KEY,\n"
"  ticket_id INTEGER REFERENCES tickets(id),\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id),\n"
"  order_id INTEGER REFERENCES orders(id),\n"
"  order_line_id INTEGER REFERENCES order_lines(id),\n"
"  quantity INTEGER NOT NULL DEFAULT 1 CHECK (quantity > 0),\n"
"  reason TEXT,\n"
"  serial TEXT,\n"
"  status TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested','authorized','rejected',\n"
"    'received','inspected','refunded','replaced','repaired','closed','expired')),\n"
"  refusal_reason TEXT,\n"
"  refund_cents INTEGER,\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER NOT NULL,\n"
"  authorized_at INTEGER,\n"
"  received_at INTEGER\n"
") STRICT;\n"
"CREATE INDEX rmas_customer ON rmas(customer_id);\n"
"CREATE INDEX rmas_order_line ON rmas(order_line_id);\n",

/* 2: the workflow (state machines and timers): activations of pending customers, the stamps and
 *    agent notes of RMAs, offer titles, where an order came from, and the indexes the timers of
 *    `caredesk tick` scan (only rows a timer may still change). Timer durations live in the
 *    config file ([workflow]), not here; the settings table records the last run (timers_last_run). */
/* One way for a pending customer to activate: a code sent by email or SMS, a link token, or an
 * admin's approval. Only a hash of the code is kept (lower-case hex SHA-256). attempts counts wrong
 * codes; at max_attempts the activation fails. expires_at: NULL never (admin approvals). */
"CREATE TABLE activations (\n"
"  id INTEGER PRIMARY KEY,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  channel TEXT NOT NULL CHECK (channel IN ('email','sms','link','admin')),\n"
"  code_hash TEXT,\n"
"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','activated','expired','failed')),\n"
"  attempts INTEGER NOT NULL DEFAULT 0,\n"
"  max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts > 0),\n"
"  expires_at INTEGER,\n"
"  ticket_id INTEGER REFERENCES tickets(id),\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER NOT NULL,\n"
"  activated_at INTEGER\n"
") STRICT;\n"
"CREATE INDEX activations_customer ON activations(customer_id, state);\n"
"CREATE INDEX activations_token ON activations(code_hash) WHERE state = 'pending';\n"
"CREATE INDEX activations_expiry ON activations(expires_at) WHERE state = 'pending';\n"

/* RMAs: when each step happened (authorized_at and received_at exist), and what the agent must
 * look at (an order line the request did not name, a serial that does not match). */
"ALTER TABLE rmas ADD COLUMN agent_note TEXT;\n"
"ALTER TABLE rmas ADD COLUMN inspected_at INTEGER;\n"
"ALTER TABLE rmas ADD COLUMN resolved_at INTEGER;\n"
"ALTER TABLE rmas ADD COLUMN closed_at INTEGER;\n"
"ALTER TABLE rmas ADD COLUMN decided_at INTEGER;\n"
"CREATE INDEX rmas_order ON rmas(order_id);\n"
"CREATE INDEX rmas_ticket ON rmas(ticket_id);\n"
"CREATE INDEX rmas_awaiting_goods ON rmas(authorized_at) WHERE status = 'authorized';\n"

"ALTER TABLE offers ADD COLUMN title TEXT;\n"
"CREATE INDEX offers_expiry ON offers(valid_until) WHERE status = 'new';\n"

/* source: the import file or API that last wrote the order. */
"ALTER TABLE orders ADD COLUMN source TEXT;\n"
"CREATE INDEX orders_status ON orders(status);\n"

"CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE status = 'resolved';\n"
"CREATE INDEX tickets_unescalated ON tickets(queue_id) WHERE escalated_at IS NULL AND status IN ('new','open');\n",

/* 3: answering by mail. Outbox rows keep what was rendered (template kind, language) and whether
 *    they are automatic answers (RFC 3834: counted per recipient and day); a DSN is matched to its
 *    row through the VERP return path. mail_addresses: what bounces taught us about an address;
 *    `bouncing` stops mail to it. agent_relays: which outbound message relayed which agent mail. */
"ALTER TABLE outbox ADD COLUMN lang TEXT;\n"
"ALTER TABLE outbox ADD COLUMN auto_reply INTEGER NOT NULL DEFAULT 0;\n"
"ALTER TABLE outbox ADD COLUMN rma_id INTEGER REFERENCES rmas(id);\n"
"ALTER TABLE outbox ADD COLUMN bounced_at INTEGER;\n"
"CREATE INDEX outbox_recipient ON outbox(recipient, created_at);\n"
"CREATE INDEX outbox_ticket ON outbox(ticket_id);\n"
"CREATE INDEX outbox_sending ON outbox(next_attempt_at) WHERE state = 'sending';\n"
"CREATE TABLE mail_addresses (\n"
"  address TEXT PRIMARY KEY COLLATE NOCASE,\n"
"  hard_bounces INTEGER NOT NULL DEFAULT 0,\n"
"  soft_bounces INTEGER NOT NULL DEFAULT 0,\n"
"  last_status TEXT,\n"
"  last_bounce_at INTEGER,\n"
"  bouncing INTEGER NOT NULL DEFAULT 0\n"
") STRICT;\n",

/* 4: customer data: staff notes about a customer (author and time, editable), postal addresses,
 *    the history of merged accounts (what the merged account was, what moved), and erasure (right
 *    to be forgotten: erased_at set, personal data gone, orders and RMAs kept). */
"CREATE TABLE customer_notes (\n"
"  id INTEGER PRIMARY KEY,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  author TEXT NOT NULL,\n"
"  body TEXT NOT NULL,\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER NOT NULL,\n"
"  edited_by TEXT\n"
") STRICT;\n"
"CREATE INDEX customer_notes_customer ON customer_notes(customer_id, id);\n"
"CREATE TABLE customer_addresses (\n"
"  id INTEGER PRIMARY KEY,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  kind TEXT NOT NULL DEFAULT 'postal' CHECK (kind IN ('postal','invoice','shipping')),\n"
"  name TEXT,\n"
"  street TEXT,\n"
"  postcode TEXT,\n"
"  city TEXT,\n"
"  country TEXT,\n"
"  created_at INTEGER NOT NULL,\n"
"  updated_at INTEGER\n"
") STRICT;\n"
/* one invoice and one shipping address per customer (the web view edits them in place); postal
 * addresses as many as staff record */
"CREATE UNIQUE INDEX customer_addresses_one ON customer_addresses(customer_id, kind) WHERE kind IN ('invoice','shipping');\n"
"CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id);\n"
/* merged_id: the account that no longer exists; moved: what moved, e.g. "2 orders, 1 ticket". */
"CREATE TABLE customer_merges (\n"
"  id INTEGER PRIMARY KEY,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  merged_id INTEGER NOT NULL,\n"
"  merged_email TEXT,\n"
"  merged_phone TEXT,\n"
"  merged_name TEXT,\n"
"  moved TEXT NOT NULL,\n"
"  actor TEXT,\n"
"  merged_at INTEGER NOT NULL\n"
") STRICT;\n"
"CREATE INDEX customer_merges_customer ON customer_merges(customer_id);\n"
"ALTER TABLE customers ADD COLUMN erased_at INTEGER;\n"
"CREATE INDEX customers_created ON customers(created_at);\n"
"CREATE INDEX customer_tags_tag ON customer_tags(tag);\n"
"CREATE INDEX tickets_created ON tickets(created_at);\n"
"CREATE INDEX messages_customer ON messages(customer_id);\n"
"CREATE INDEX outbox_customer ON outbox(customer_id);\n",
/* 5: the SMS channel. sms_optouts: numbers (E.164) that sent STOP; nothing but the STOP
 *    confirmation goes to them until they send START. Outbox rows of channel sms keep the
 *    provider's id of the message (Kannel: our row id in the dlr-url; Twilio: the MessageSid) to
 *    match delivery reports, the segments the text takes, and whether the delivery status is
 *    final (delivered or not: a late interim report must not replace it). */
"CREATE TABLE sms_optouts (\n"
"  number TEXT PRIMARY KEY,\n"
"  keyword TEXT,\n"
"  source TEXT,\n"
"  opted_out_at INTEGER NOT NULL\n"
") STRICT;\n"
"ALTER TABLE outbox ADD COLUMN provider_ref TEXT;\n"
"ALTER TABLE outbox ADD COLUMN segments INTEGER;\n"
"ALTER TABLE outbox ADD COLUMN delivery_final INTEGER;\n"
"CREATE INDEX outbox_provider_ref ON outbox(provider_ref) WHERE provider_ref IS NOT NULL;\n",
/* 6: the customer web view. web_sessions: a login, known only by the SHA-256 of its cookie token.
 *    login_failures: failed logins per account (the address tried, known or not) and per client IP,
 *    forgotten after a quiet hour; locked_until refuses logins until then. password_resets: a
 *    single-use, expiring link (hash only). blocklist: IPs and CIDR ranges, addresses, mail
 *    domains, phone numbers and card fingerprints (a hash, never the number) refused at
 *    registration and login. api_tokens: the shop's JSON API (hash only). (Invoice and shipping
 *    addresses are rows of customer_addresses, migration 4.) */
"CREATE TABLE web_sessions (\n"
"  id INTEGER PRIMARY KEY,\n"
"  token_hash TEXT NOT NULL UNIQUE,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  created_at INTEGER NOT NULL,\n"
"  last_seen_at INTEGER NOT NULL,\n"
"  expires_at INTEGER NOT NULL,\n"
"  ip TEXT\n"
") STRICT;\n"
"CREATE INDEX web_sessions_customer ON web_sessions(customer_id);\n"
"CREATE TABLE login_failures (\n"
"  kind TEXT NOT NULL CHECK (kind IN ('account','ip')),\n"
"  key TEXT NOT NULL,\n"
"  failures INTEGER NOT NULL DEFAULT 0,\n"
"  last_failure_at INTEGER NOT NULL,\n"
"  next_allowed_at INTEGER NOT NULL DEFAULT 0,\n"
"  locked_until INTEGER NOT NULL DEFAULT 0,\n"
"  PRIMARY KEY (kind, key)\n"
") STRICT, WITHOUT ROWID;\n"
"CREATE TABLE password_resets (\n"
"  id INTEGER PRIMARY KEY,\n"
"  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,\n"
"  token_hash TEXT NOT NULL UNIQUE,\n"
"  created_at INTEGER NOT NULL,\n"
"  expires_at INTEGER NOT NULL,\n"
"  used_at INTEGER\n"
") STRICT;\n"
"CREATE INDEX password_resets_customer ON password_resets(customer_id);\n"
"CREATE TABLE blocklist (\n"
"  id INTEGER PRIMARY KEY,\n"
"  kind TEXT NOT NULL CHECK (kind IN ('ip','email','domain','phone','card')),\n"
"  value TEXT NOT NULL COLLATE NOCASE,\n"
"  reason TEXT,\n"
"  created_by TEXT,\n"
"  created_at INTEGER NOT NULL,\n"
"  expires_at INTEGER,\n"
"  UNIQUE (kind, value)\n"
") STRICT;\n"
"CREATE TABLE api_tokens (\n"
"  id INTEGER PRIMARY KEY,\n"
"  name TEXT NOT NULL UNIQUE,\n"
"  token_hash TEXT NOT NULL UNIQUE,\n"
"  created_at INTEGER NOT NULL,\n"
"  last_used_at INTEGER,\n"
"  revoked_at INTEGER\n"
") STRICT;\n",
/* 7: the admin pages of the web view. agent_sessions: an agent's login (role agent or admin),
 *    known only by the SHA-256 of its cookie token, like web_sessions but apart from them: a
 *    customer's session never opens admin pages and an agent's never opens customer pages. The
 *    agents' password_hash (migration 1) is set by `caredesk agent password`. */
"CREATE TABLE agent_sessions (\n"
"  id INTEGER PRIMARY KEY,\n"
"  token_hash TEXT NOT NULL UNIQUE,\n"
"  agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,\n"
"  created_at INTEGER NOT NULL,\n"
"  last_seen_at INTEGER NOT NULL,\n"
"  expires_at INTEGER NOT NULL,\n"
"  ip TEXT\n"
") STRICT;\n"
"CREATE INDEX agent_sessions_agent ON agent_sessions(agent_id);\n",
/* 8: files travel with the mail. outbox_attachments: stored attachments that go with an outbox row
 *    (the customer's files with the agents' notification of their mail, an agent's files with the
 *    reply relayed to the customer); their bytes are not copied, the deliverer adds them when it
 *    composes the message. outbox_recipient_sent covers the daily counts of automatic answers and
 *    SMS per address: they read only the index, not the rows (whose rendered bodies come before
 *    state and auto_reply, in overflow pages). outbox_recipient stays (migrations never drop). */
"CREATE TABLE outbox_attachments (\n"
"  outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,\n"
"  attachment_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,\n"
"  PRIMARY KEY (outbox_id, attachment_id)\n"
") STRICT, WITHOUT ROWID;\n"
"CREATE INDEX outbox_attachments_attachment ON outbox_attachments(attachment_id);\n"
"CREATE INDEX outbox_recipient_sent ON outbox(recipient, created_at, auto_reply, channel, state);\n",
};

int
cd_schema_latest(void)
{
	return (int)G_N_ELEMENTS(migrations);
}

const char *
cd_schema_migration(int version)
{
	g_return_val_if_fail(version >= 1 && version <= cd_schema_latest(), NULL);
	return migrations[version - 1];
}
