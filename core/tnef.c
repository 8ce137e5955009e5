/* tnef.c - Outlook winmail.dat (application/ms-tnef) to files, on libytnef (see tnef.h).
 *
 * Owns cd_tnef_extract() and cd_tnef_file_free().
 *
 * libytnef parses the TNEF stream into attachments and MAPI properties. It is old code:
 * on damaged input it prints on stdout (which would end up in an admin command's JSON
 * or in what the MTA reads), leaks, and in places reads past its input. So the stream is
 * first walked here, attribute by attribute (signature, key, then level, id, length,
 * data, checksum), and rebuilt from what libytnef can read without reaching one of
 * those paths:
 *  - a truncated attribute or a bad checksum: the blob is damaged, an error;
 *  - empty attributes, dates and versions shorter than libytnef reads, attachment
 *    attributes before the first attachment or repeated within one (libytnef keeps the
 *    last and leaks the first), repeated message attributes, and attributes over the
 *    sizes libytnef 2.0 refuses (from, subject and title over 100 bytes, body over
 *    100,000: one of those fails its whole parse): left out, the title and the body
 *    kept aside here;
 *  - MAPI property blocks are walked the way libytnef's TNEFFillMapi() walks them and
 *    rebuilt from the properties it reads cleanly: a property it would refuse (a
 *    Unicode value over its 100,000-byte limit, an empty name, a subject over 100
 *    bytes) is left out, and so is
 *    everything after a property nobody can find the end of.
 * libytnef's fields are then read, never trusted for sizes beyond what they hold.
 * Compressed RTF is decompressed here (MS-OXRTFCP): libytnef's DecompressRTF() reads
 * past its input on some streams and leaks on others.
 *
 * libytnef keeps no global state for parsing, so this is thread-safe. */
#include "tnef.h"

#include <stdio.h>   /* before ytnef.h, whose tnef-types.h uses FILE */
#include <string.h>

#include <ytnef.h>

#include "result.h"

#define TNEF_SIGNATURE   0x223E9F78u
#define TNEF_MAX_BLOB    ((gsize) 1 << 30)     /* libytnef reads sizes into int */
/* libytnef 2.0 refuses (prints, and fails the whole parse) sizes beyond these */
#define MAPI_MAX_COUNT   1000                  /* properties in a block, values of one */
#define MAPI_MAX_NAME    100                   /* a named property's name */
#define MAPI_MAX_UNICODE 100000                /* a Unicode value */
#define MAPI_MAX_SUBJECT 100                   /* a subject property's value */
#define ATT_MAX_SHORT    100                   /* attFrom, attSubject, attAttachTitle, ... */
#define ATT_MAX_METAFILE 10000
#define ATT_MAX_BODY     100000
#define RTF_MAX          ((gsize) 64 << 20)
#define NAME_MAX_BYTES   255

/* MAPI property ids we read */
enum {
	PID_BODY = 0x1000,
	PID_RTF_COMPRESSED = 0x1009,
	PID_BODY_HTML = 0x1013,
	PID_SUBJECT = 0x0037,
	PID_SUBJECT_IPM = 0x0039,
	PID_ORIGINAL_SUBJECT = 0x0049,
	PID_CONVERSATION_TOPIC = 0x0070,
	PID_NORMALIZED_SUBJECT = 0x0E1D,
	PID_DISPLAY_NAME = 0x3001,
	PID_ATTACH_DATA = 0x3701,
	PID_ATTACH_EXTENSION = 0x3703,
	PID_ATTACH_FILENAME = 0x3704,
	PID_ATTACH_LONG_FILENAME = 0x3707,
	PID_ATTACH_MIME_TAG = 0x370E,
	PID_INTERNET_CPID = 0x3FDE,
	PID_MESSAGE_CODEPAGE = 0x3FFD,
};

void
cd_tnef_file_free(cd_tnef_file *f)
{
	if (f == NULL)
		return;
	g_free(f->filename);
	g_free(f->content_type);
	if (f->data != NULL)
		g_bytes_unref(f->data);
	g_free(f);
}

static inline guint32
le32(const guint8 *p)
{
	return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static inline guint16
le16(const guint8 *p)
{
	return (guint16) (p[0] | p[1] << 8);
}

static void
put_le32(GByteArray *b, guint32 v)
{
	guint8 x[4] = { (guint8) v, (guint8) (v >> 8), (guint8) (v >> 16), (guint8) (v >> 24) };
	g_byte_array_append(b, x, 4);
}

static inline gsize
pad4(gsize n)
{
	return (n % 4) ? 4 - n % 4 : 0;
}

/* ---- MAPI property blocks --------------------------------------------------------- */

static gboolean
is_subject_id(guint32 id)
{
	return id == PID_SUBJECT || id == PID_SUBJECT_IPM || id == PID_ORIGINAL_SUBJECT ||
	       id == PID_CONVERSATION_TOPIC || id == PID_NORMALIZED_SUBJECT;
}

/* mapi_prop - walk one property at b[*pos] exactly as TNEFFillMapi() does. 1: read, keep it;
 * 0: read, but libytnef would refuse or leak on it, leave it out; -1: its end cannot be
 * found (nothing after it can be read either). */
static int
mapi_prop(const guint8 *b, gsize n, gsize *pos)
{
	gsize p = *pos;
	gboolean keep = TRUE;
#define NEED(k) do { if ((k) > n - p || p > n) return -1; } while (0)
	NEED(4);
	guint32 tag = le32(b + p);
	p += 4;
	guint32 id = PROP_ID(tag), type = PROP_TYPE(tag);
	if (id >= 0x8000) {
		/* a named property: GUID, then names or a number */
		NEED(16);
		p += 16;
		NEED(4);
		guint32 names = le32(b + p);
		p += 4;
		if (names > 0) {
			if (names > (n - p) / 4)
				return -1;   /* libytnef would calloc() that many first */
			for (guint32 k = 0; k < names; k++) {
				NEED(4);
				guint32 l = le32(b + p);
				p += 4;
				if (l > MAPI_MAX_NAME)
					return -1;
				if (l == 0)
					keep = FALSE;   /* libytnef refuses an empty name */
				NEED(l);
				p += l + pad4(l);
			}
		} else {
			NEED(4);
			p += 4;
		}
	}
	guint32 values = 1;
	gboolean mv = (type & MV_FLAG) != 0;
	if (mv) {
		type &= ~(guint32) MV_FLAG;
		NEED(4);
		values = le32(b + p);
		p += 4;
	}
	if (values == 0 || values > MAPI_MAX_COUNT)
		return -1;
	for (guint32 v = 0; v < values; v++) {
		switch (type) {
		case PT_BINARY:
		case PT_OBJECT:
		case PT_STRING8:
		case PT_UNICODE: {
			if (!mv) {
				NEED(4);   /* number of values, always 1 */
				p += 4;
			}
			NEED(4);
			guint32 l = le32(b + p);
			p += 4;
			if (l > 0)
				NEED(l);
			if (type == PT_UNICODE && l > MAPI_MAX_UNICODE)
				keep = FALSE;
			if (is_subject_id(id) && (l == 0 || l > MAPI_MAX_SUBJECT))
				keep = FALSE;   /* libytnef refuses (or leaks on) those subjects */
			p += (gsize) l + pad4(l);
			break;
		}
		case PT_I2:
			NEED(2);
			p += 4;
			break;
		case PT_BOOLEAN:
		case PT_LONG:
		case PT_R4:
		case PT_CURRENCY:
		case PT_APPTIME:
		case PT_ERROR:
			NEED(4);
			p += 4;
			break;
		case PT_DOUBLE:
		case PT_I8:
		case PT_SYSTIME:
			NEED(8);
			p += 8;
			break;
		case PT_CLSID:
			NEED(16);
			p += 16;
			break;
		default:
			return -1;   /* libytnef: "Bad file"; the size is unknown */
		}
	}
#undef NEED
	if (p > n)
		return -1;
	*pos = p;
	return keep ? 1 : 0;
}

/* mapi_clean - block b rebuilt from the properties libytnef reads cleanly; NULL if none. */
static GByteArray *
mapi_clean(const guint8 *b, gsize n)
{
	if (n < 4)
		return NULL;
	guint32 count = le32(b);
	if (count > MAPI_MAX_COUNT)
		return NULL;
	GByteArray *out = g_byte_array_sized_new((guint) n);
	put_le32(out, 0);
	guint32 kept = 0;
	gsize pos = 4;
	for (guint32 i = 0; i < count; i++) {
		gsize start = pos;
		int r = mapi_prop(b, n, &pos);
		if (r < 0)
			break;
		if (r > 0) {
			g_byte_array_append(out, b + start, (guint) (pos - start));
			kept++;
		}
	}
	if (kept == 0) {
		g_byte_array_unref(out);
		return NULL;
	}
	guint8 *c = out->data;
	c[0] = (guint8) kept;
	c[1] = (guint8) (kept >> 8);
	c[2] = (guint8) (kept >> 16);
	c[3] = (guint8) (kept >> 24);
	return out;
}

/* ---- the attribute stream --------------------------------------------------------- */

/* sent_for_ok - TNEFSentFor()'s walk: pairs of counted name and address. */
static gboolean
sent_for_ok(const guint8 *d, gsize n)
{
	gsize p = 0;
	while (p < n) {
		for (int k = 0; k < 2; k++) {
			if (n - p < 2)
				return FALSE;
			gsize l = le16(d + p);
			p += 2;
			if (l > n - p)
				return FALSE;
			p += l;
		}
	}
	return TRUE;
}

static void
put_attr(GByteArray *out, guint8 level, guint32 id, const guint8 *d, gsize n)
{
	guint16 sum = 0;
	for (gsize i = 0; i < n; i++)
		sum = (guint16) (sum + d[i]);
	g_byte_array_append(out, &level, 1);
	put_le32(out, id);
	put_le32(out, (guint32) n);
	g_byte_array_append(out, d, (guint) n);
	guint8 s[2] = { (guint8) sum, (guint8) (sum >> 8) };
	g_byte_array_append(out, s, 2);
}

/* The message attributes libytnef stores in a field it allocates each time. */
static gboolean
once_per_message(guint32 id)
{
	switch (id) {
	case attFrom:
	case attBody:
	case attMAPIProps:
	case attOemCodepage:
	case attOriginalMessageClass:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Attributes libytnef files under the last attachment opened by attAttachRenddata. */
static int
attachment_slot(guint32 id)
{
	switch (id) {
	case attAttachData:
		return 0;
	case attAttachTitle:
		return 1;
	case attAttachMetaFile:
		return 2;
	case attAttachment:
		return 3;
	case attAttachCreateDate:
		return 4;
	case attAttachModifyDate:
		return 5;
	default:
		return -1;
	}
}

static gboolean
is_date(guint32 id)
{
	return id == attDateSent || id == attDateRecd || id == attDateModified ||
	       id == attDateStart || id == attDateEnd || id == attAttachCreateDate ||
	       id == attAttachModifyDate;
}

/* What the walk keeps for itself: libytnef refuses titles over 100 bytes and bodies over
 * 100,000, which are still worth having. */
typedef struct {
	GPtrArray *titles;   /* GBytes* (or NULL) per attachment, in order */
	GBytes *body;        /* attBody */
} tnef_side;

/* short_limit - the size libytnef 2.0 accepts for an attribute, 0 for no limit. */
static gsize
short_limit(guint32 id)
{
	switch (id) {
	case attFrom:
	case attSubject:
	case attOriginalMessageClass:
	case attAttachTitle:
		return ATT_MAX_SHORT;
	case attAttachMetaFile:
		return ATT_MAX_METAFILE;
	case attBody:
		return ATT_MAX_BODY;
	default:
		return 0;
	}
}

/* tnef_clean - the stream rebuilt for libytnef, or NULL and *error. */
static GByteArray *
tnef_clean(const guint8 *b, gsize n, tnef_side *side, GError **error)
{
	if (n < 6 || le32(b) != TNEF_SIGNATURE) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "not TNEF (no winmail.dat signature)");
		return NULL;
	}
	if (n > TNEF_MAX_BLOB) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "TNEF blob too large (%" G_GSIZE_FORMAT " bytes)", n);
		return NULL;
	}
	GByteArray *out = g_byte_array_sized_new((guint) n);
	g_byte_array_append(out, b, 6);   /* signature and key */
	gboolean in_attachment = FALSE;
	guint attachment_seen = 0;   /* slots used in the current attachment */
	GHashTable *message_seen = g_hash_table_new(NULL, NULL);
	gsize pos = 6;
	while (pos < n) {
		if (n - pos < 11) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID,
			            "TNEF damaged: attribute header cut off at byte %" G_GSIZE_FORMAT, pos);
			goto fail;
		}
		guint8 level = b[pos];
		guint32 id = le32(b + pos + 1);
		gsize len = le32(b + pos + 5);
		if (len > n - pos - 11) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID,
			            "TNEF damaged: attribute 0x%08x at byte %" G_GSIZE_FORMAT " is cut off", id, pos);
			goto fail;
		}
		const guint8 *d = b + pos + 9;
		guint16 sum = 0;
		for (gsize i = 0; i < len; i++)
			sum = (guint16) (sum + d[i]);
		if (sum != le16(d + len)) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID,
			            "TNEF damaged: bad checksum of attribute 0x%08x at byte %" G_GSIZE_FORMAT, id, pos);
			goto fail;
		}
		pos += 11 + len;

		if (len == 0)
			continue;   /* libytnef stops at an empty attribute */
		if (id == attAttachRenddata) {
			in_attachment = TRUE;
			attachment_seen = 0;
			g_ptr_array_add(side->titles, NULL);
		}
		int slot = attachment_slot(id);
		if (slot >= 0) {
			if (!in_attachment || (attachment_seen & (1u << slot)))
				continue;
			attachment_seen |= 1u << slot;
		} else if (once_per_message(id)) {
			if (g_hash_table_contains(message_seen, GUINT_TO_POINTER(id)))
				continue;
			g_hash_table_add(message_seen, GUINT_TO_POINTER(id));
		}
		if (id == attAttachTitle)
			side->titles->pdata[side->titles->len - 1] = g_bytes_new(d, len);
		if (id == attBody)
			side->body = g_bytes_new(d, len);
		if (short_limit(id) != 0 && len > short_limit(id))
			continue;
		if (is_date(id) && len < sizeof(dtr))
			continue;
		if ((id == attTnefVersion && len != 4) || (id == attRecipTable && len < 4))
			continue;
		if (id == attSentFor && !sent_for_ok(d, len))
			continue;
		if (id == attMAPIProps || id == attAttachment) {
			GByteArray *m = mapi_clean(d, len);
			if (m == NULL)
				continue;
			put_attr(out, level, id, m->data, m->len);
			g_byte_array_unref(m);
			continue;
		}
		put_attr(out, level, id, d, len);
	}
	g_hash_table_destroy(message_seen);
	return out;
fail:
	g_hash_table_destroy(message_seen);
	g_byte_array_unref(out);
	return NULL;
}

/* ---- text ------------------------------------------------------------------------- */

/* codepage_charset - an iconv name for a Windows code page. */
static char *
codepage_charset(guint32 cp)
{
	switch (cp) {
	case 0:
		return g_strdup("CP1252");
	case 65001:
		return g_strdup("UTF-8");
	case 20127:
		return g_strdup("ASCII");
	case 1200:
		return g_strdup("UTF-16LE");
	case 20866:
		return g_strdup("KOI8-R");
	case 21866:
		return g_strdup("KOI8-U");
	case 50220:
	case 50221:
	case 50222:
		return g_strdup("ISO-2022-JP");
	case 51932:
		return g_strdup("EUC-JP");
	case 51949:
		return g_strdup("EUC-KR");
	case 936:
		return g_strdup("GBK");
	case 54936:
		return g_strdup("GB18030");
	case 950:
		return g_strdup("BIG5");
	default:
		if (cp >= 28591 && cp <= 28606)
			return g_strdup_printf("ISO-8859-%u", cp - 28590);
		return g_strdup_printf("CP%u", cp);
	}
}

/* to_utf8_cp - bytes in code page cp as valid UTF-8, without the trailing NULs. */
static char *
to_utf8_cp(const guint8 *d, gsize n, guint32 cp)
{
	while (n > 0 && d[n - 1] == 0)
		n--;
	const char *s = (const char *) d;
	if (g_utf8_validate_len(s, n, NULL))
		return g_strndup(s, n);
	char *cs = codepage_charset(cp);
	char *r = g_convert(s, (gssize) n, "UTF-8", cs, NULL, NULL, NULL);
	g_free(cs);
	if (r == NULL)
		r = g_convert(s, (gssize) n, "UTF-8", "CP1252", NULL, NULL, NULL);
	if (r == NULL)
		r = g_convert(s, (gssize) n, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
	if (r == NULL || !g_utf8_validate(r, -1, NULL)) {
		char *v = g_utf8_make_valid(r ? r : "", -1);
		g_free(r);
		r = v;
	}
	return r;
}

/* ytnef_unicode - a PT_UNICODE value as libytnef converted it (each UTF-16 unit on its
 * own, so surrogate pairs come out as two 3-byte sequences, and U+07FF overlong) as
 * valid UTF-8. */
static char *
ytnef_unicode(const guint8 *d, gsize max)
{
	gsize n = 0;
	while (n < max && d[n] != 0)
		n++;
	GArray *u = g_array_sized_new(FALSE, FALSE, sizeof(gunichar2), (guint) n);
	for (gsize i = 0; i < n;) {
		guint8 c = d[i];
		gunichar2 w;
		if (c < 0x80) {
			w = c;
			i++;
		} else if ((c & 0xe0) == 0xc0 && i + 1 < n) {
			w = (gunichar2) ((c & 0x1f) << 6 | (d[i + 1] & 0x3f));
			i += 2;
		} else if ((c & 0xf0) == 0xe0 && i + 2 < n) {
			w = (gunichar2) ((c & 0x0f) << 12 | (d[i + 1] & 0x3f) << 6 | (d[i + 2] & 0x3f));
			i += 3;
		} else {
			w = 0xfffd;
			i++;
		}
		g_array_append_val(u, w);
	}
	char *r = g_utf16_to_utf8((const gunichar2 *) u->data, (glong) u->len, NULL, NULL, NULL);
	if (r == NULL) {
		/* a lone surrogate: replace it */
		for (guint i = 0; i < u->len; i++) {
			gunichar2 *w = &g_array_index(u, gunichar2, i);
			gboolean hi = *w >= 0xd800 && *w < 0xdc00, lo = *w >= 0xdc00 && *w < 0xe000;
			gunichar2 next = i + 1 < u->len ? g_array_index(u, gunichar2, i + 1) : 0;
			if (hi && next >= 0xdc00 && next < 0xe000)
				i++;
			else if (hi || lo)
				*w = 0xfffd;
		}
		r = g_utf16_to_utf8((const gunichar2 *) u->data, (glong) u->len, NULL, NULL, NULL);
	}
	g_array_free(u, TRUE);
	return r ? r : g_strdup("");
}

/* prop_string - a string property of p as UTF-8, NULL when absent or empty. */
static char *
prop_string(MAPIProps *p, guint32 pid, guint32 cp)
{
	variableLength *v = MAPIFindProperty(p, PROP_TAG(PT_UNICODE, pid));
	char *r = NULL;
	if (v != MAPI_UNDEFINED && v != NULL && v->data != NULL && v->size > 0)
		r = ytnef_unicode(v->data, (gsize) v->size / 2 * 3 + 1);
	if (r == NULL) {
		v = MAPIFindProperty(p, PROP_TAG(PT_STRING8, pid));
		if (v != MAPI_UNDEFINED && v != NULL && v->data != NULL && v->size > 0)
			r = to_utf8_cp(v->data, (gsize) v->size, cp);
	}
	if (r != NULL && *r == '\0') {
		g_free(r);
		r = NULL;
	}
	return r;
}

static variableLength *
prop_binary(MAPIProps *p, guint32 pid)
{
	variableLength *v = MAPIFindProperty(p, PROP_TAG(PT_BINARY, pid));
	if (v == MAPI_UNDEFINED || v == NULL || v->data == NULL || v->size <= 0)
		return NULL;
	return v;
}

static gboolean
prop_long(MAPIProps *p, guint32 pid, guint32 *out)
{
	variableLength *v = MAPIFindProperty(p, PROP_TAG(PT_LONG, pid));
	if (v == MAPI_UNDEFINED || v == NULL || v->data == NULL || v->size < 4)
		return FALSE;
	*out = le32(v->data);
	return TRUE;
}

/* ---- file names and types --------------------------------------------------------- */

/* clean_name - a file name safe to show and to store: no directory, no controls, not
 * empty, at most NAME_MAX_BYTES bytes (the extension kept). NULL if nothing is left. */
static char *
clean_name(const char *raw)
{
	if (raw == NULL)
		return NULL;
	const char *base = raw;
	for (const char *p = raw; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	GString *s = g_string_new(NULL);
	for (const char *p = base; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x200e || c == 0x200f ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
			continue;   /* controls and bidi overrides ("gpj.exe") */
		g_string_append_unichar(s, c);
	}
	char *t = g_strstrip(g_string_free(s, FALSE));
	if (*t == '\0' || strcmp(t, ".") == 0 || strcmp(t, "..") == 0) {
		g_free(t);
		return NULL;
	}
	if (strlen(t) > NAME_MAX_BYTES) {
		const char *dot = strrchr(t, '.');
		gsize ext = dot && strlen(dot) <= 16 ? strlen(dot) : 0;
		gsize keep = NAME_MAX_BYTES - ext;
		while (keep > 0 && ((guchar) t[keep] & 0xc0) == 0x80)
			keep--;   /* cut on a character boundary */
		char *r = g_strndup(t, keep);
		if (ext) {
			char *r2 = g_strconcat(r, dot, NULL);
			g_free(r);
			r = r2;
		}
		g_free(t);
		t = r;
	}
	return t;
}

static const struct {
	const char *ext;
	const char *type;
} ext_types[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "bmp", "image/bmp" },
	{ "csv", "text/csv" },
	{ "doc", "application/msword" },
	{ "docm", "application/vnd.ms-word.document.macroenabled.12" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "eml", "message/rfc822" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "heic", "image/heic" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ics", "text/calendar" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "json", "application/json" },
	{ "log", "text/plain" },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "msg", "application/vnd.ms-outlook" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "rar", "application/vnd.rar" },
	{ "rtf", "application/rtf" },
	{ "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "txt", "text/plain" },
	{ "vcf", "text/vcard" },
	{ "wav", "audio/wav" },
	{ "webp", "image/webp" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsm", "application/vnd.ms-excel.sheet.macroenabled.12" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "xml", "application/xml" },
	{ "zip", "application/zip" },
};

/* mime_ok - a plausible type/subtype, as Outlook's PR_ATTACH_MIME_TAG may give. */
static gboolean
mime_ok(const char *t)
{
	gsize n = strlen(t), slash = 0;
	if (n < 3 || n > 127)
		return FALSE;
	for (gsize i = 0; i < n; i++) {
		char c = t[i];
		if (c == '/') {
			if (slash || i == 0 || i == n - 1)
				return FALSE;
			slash = i;
		} else if (!(g_ascii_isalnum(c) || strchr("!#$&^_.+-", c) != NULL)) {
			return FALSE;
		}
	}
	return slash != 0;
}

/* content_type - from the file name, else from what Outlook said, else octet-stream. */
static char *
content_type(const char *name, const char *mime_tag)
{
	const char *dot = strrchr(name, '.');
	if (dot != NULL && dot[1] != '\0') {
		char *ext = g_ascii_strdown(dot + 1, -1);
		for (gsize i = 0; i < G_N_ELEMENTS(ext_types); i++)
			if (strcmp(ext, ext_types[i].ext) == 0) {
				g_free(ext);
				return g_strdup(ext_types[i].type);
			}
		g_free(ext);
	}
	if (mime_tag != NULL && mime_ok(mime_tag))
		return g_ascii_strdown(mime_tag, -1);
	return g_strdup("application/octet-stream");
}

/* ---- compressed RTF (MS-OXRTFCP) -------------------------------------------------- */

/* the dictionary every compressed RTF stream starts from (207 bytes) */
static const char rtf_dictionary[] =
	"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern "
	"\\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0"
	"\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
G_STATIC_ASSERT(sizeof rtf_dictionary - 1 == 207);

#define RTF_MAGIC_COMPRESSED   0x75465A4Cu   /* "LZFu" */
#define RTF_MAGIC_UNCOMPRESSED 0x414C454Du   /* "MELA" */

/* rtf_decompress - the RTF in a PR_RTF_COMPRESSED value, NULL if it holds none. Output is
 * bounded by the declared size, by RTF_MAX, and by what the input can expand to. */
static GBytes *
rtf_decompress(const guint8 *p, gsize n)
{
	if (n < 16)
		return NULL;
	gsize comp = le32(p), raw = le32(p + 4);
	guint32 magic = le32(p + 8);
	gsize end = comp <= n - 4 ? comp + 4 : n;   /* the header's size, if it fits */
	if (end < 16 || raw == 0)
		return NULL;
	raw = MIN(raw, RTF_MAX);
	if (magic == RTF_MAGIC_UNCOMPRESSED)
		return g_bytes_new(p + 16, MIN(raw, end - 16));
	if (magic != RTF_MAGIC_COMPRESSED)
		return NULL;
	guint8 dict[4096];
	memset(dict, 0, sizeof dict);
	memcpy(dict, rtf_dictionary, 207);
	guint wp = 207;
	/* a 2-byte reference gives at most 17 bytes */
	GByteArray *out = g_byte_array_sized_new((guint) MIN(raw, (end - 16) * 9 + 16));
	gsize i = 16;
	while (i < end && out->len < raw) {
		guint8 ctl = p[i++];
		for (int bit = 0; bit < 8 && i < end && out->len < raw; bit++) {
			if (ctl & (1u << bit)) {
				if (end - i < 2)
					goto done;
				guint ref = (guint) p[i] << 8 | p[i + 1];
				i += 2;
				guint off = ref >> 4, len = (ref & 0xf) + 2;
				if (off == wp)
					goto done;   /* the end marker */
				for (guint k = 0; k < len && out->len < raw; k++) {
					guint8 c = dict[(off + k) % 4096];
					dict[wp] = c;
					wp = (wp + 1) % 4096;
					g_byte_array_append(out, &c, 1);
				}
			} else {
				guint8 c = p[i++];
				dict[wp] = c;
				wp = (wp + 1) % 4096;
				g_byte_array_append(out, &c, 1);
			}
		}
	}
done:
	if (out->len == 0) {
		g_byte_array_unref(out);
		return NULL;
	}
	return g_byte_array_free_to_bytes(out);
}

/* ---- extraction ------------------------------------------------------------------- */

static void
add_file(GPtrArray *files, char *name, char *type, GBytes *data)
{
	cd_tnef_file *f = g_new0(cd_tnef_file, 1);
	f->filename = name;
	f->content_type = type;
	f->data = data;
	g_ptr_array_add(files, f);
}

static void
add_attachment(GPtrArray *files, Attachment *a, guint nr, GBytes *title, guint32 cp)
{
	GBytes *data = NULL;
	if (a->FileData.data != NULL && a->FileData.size > 0) {
		data = g_bytes_new(a->FileData.data, (gsize) a->FileData.size);
	} else {
		variableLength *v = prop_binary(&a->MAPI, PID_ATTACH_DATA);
		if (v != NULL) {
			data = g_bytes_new(v->data, (gsize) v->size);
		} else {
			v = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_OBJECT, PID_ATTACH_DATA));
			/* an embedded object starts with the 16-byte id of its interface */
			if (v != MAPI_UNDEFINED && v != NULL && v->data != NULL && v->size > 16)
				data = g_bytes_new(v->data + 16, (gsize) v->size - 16);
		}
	}
	if (data == NULL)
		return;   /* nothing to save (a link, or an OLE object with no data) */

	guint32 acp = cp;
	prop_long(&a->MAPI, PID_MESSAGE_CODEPAGE, &acp);
	char *raw = prop_string(&a->MAPI, PID_ATTACH_LONG_FILENAME, acp);
	if (raw == NULL)
		raw = prop_string(&a->MAPI, PID_DISPLAY_NAME, acp);
	if (raw == NULL && title != NULL) {
		gsize tl;
		const guint8 *td = g_bytes_get_data(title, &tl);
		raw = to_utf8_cp(td, tl, acp);
	}
	if (raw == NULL)
		raw = prop_string(&a->MAPI, PID_ATTACH_FILENAME, acp);
	char *name = clean_name(raw);
	g_free(raw);
	if (name == NULL) {
		char *ext = prop_string(&a->MAPI, PID_ATTACH_EXTENSION, acp);
		char *e = clean_name(ext);
		name = g_strdup_printf("attachment-%u%s%s", nr, e && e[0] != '.' ? "." : "", e ? e : "");
		g_free(ext);
		g_free(e);
	}
	if (g_ascii_strcasecmp(name, "body.txt") == 0 || g_ascii_strcasecmp(name, "body.html") == 0 ||
	    g_ascii_strcasecmp(name, "body.rtf") == 0) {
		/* those names mean the message body to our callers */
		char *n2 = g_strconcat("attachment-", name, NULL);
		g_free(name);
		name = n2;
	}
	char *mime_tag = prop_string(&a->MAPI, PID_ATTACH_MIME_TAG, acp);
	char *type = content_type(name, mime_tag);
	g_free(mime_tag);
	add_file(files, name, type, data);
}

static void
add_bodies(GPtrArray *files, TNEFStruct *t, GBytes *body, guint32 cp)
{
	MAPIProps *m = &t->MapiProperties;
	prop_long(m, PID_MESSAGE_CODEPAGE, &cp);

	/* plain text: the Unicode property, else the 8-bit one, else the TNEF attribute */
	char *text = prop_string(m, PID_BODY, cp);
	if (text == NULL && body != NULL) {
		gsize bl;
		const guint8 *bd = g_bytes_get_data(body, &bl);
		text = to_utf8_cp(bd, bl, cp);
	}
	if (text != NULL && *text != '\0') {
		gsize n = strlen(text);
		add_file(files, g_strdup("body.txt"), g_strdup("text/plain; charset=utf-8"),
		         g_bytes_new_take(text, n));
	} else {
		g_free(text);
	}

	/* HTML: as the bytes are when they say their charset (the caller reads <meta>),
	 * else in UTF-8 */
	variableLength *h = prop_binary(m, PID_BODY_HTML);
	char *html = NULL;
	gsize hn = 0;
	guint32 hcp = cp;
	prop_long(m, PID_INTERNET_CPID, &hcp);
	if (h != NULL) {
		const char *hs = (const char *) h->data;
		hn = (gsize) h->size;
		while (hn > 0 && hs[hn - 1] == '\0')
			hn--;
		gboolean says_charset = g_strstr_len(hs, (gssize) MIN(hn, (gsize) 4096), "charset") != NULL ||
		                        g_strstr_len(hs, (gssize) MIN(hn, (gsize) 4096), "CHARSET") != NULL;
		if (says_charset || g_utf8_validate_len(hs, hn, NULL)) {
			html = g_malloc(hn + 1);
			memcpy(html, hs, hn);
			html[hn] = '\0';
		} else {
			html = to_utf8_cp(h->data, hn, hcp);
			hn = strlen(html);
		}
	} else {
		html = prop_string(m, PID_BODY_HTML, hcp);
		hn = html ? strlen(html) : 0;
	}
	if (html != NULL && hn > 0) {
		gboolean utf8 = g_utf8_validate_len(html, hn, NULL);
		add_file(files, g_strdup("body.html"), g_strdup(utf8 ? "text/html; charset=utf-8" : "text/html"),
		         g_bytes_new_take(html, hn));
	} else {
		g_free(html);
	}

	variableLength *r = prop_binary(m, PID_RTF_COMPRESSED);
	GBytes *rtf = r ? rtf_decompress(r->data, (gsize) r->size) : NULL;
	if (rtf != NULL)
		add_file(files, g_strdup("body.rtf"), g_strdup("application/rtf"), rtf);
}

static void
side_bytes_free(gpointer p)
{
	if (p != NULL)
		g_bytes_unref(p);
}

static void
side_free(tnef_side *side)
{
	g_ptr_array_unref(side->titles);
	if (side->body != NULL)
		g_bytes_unref(side->body);
}

GPtrArray *
cd_tnef_extract(const guint8 *data, gsize len, GError **error)
{
	if (data == NULL)
		len = 0;
	tnef_side side = { g_ptr_array_new_with_free_func(side_bytes_free), NULL };
	GByteArray *clean = tnef_clean(data, len, &side, error);
	if (clean == NULL) {
		side_free(&side);
		return NULL;
	}

	TNEFStruct t;
	memset(&t, 0, sizeof t);
	TNEFInitialize(&t);
	t.Debug = 0;
	/* libytnef refuses attributes over attachmentSize MiB (50 by default) */
	t.attachmentSize = (int) MIN((gsize) 2047, (gsize) clean->len >> 20) + 1;
	int rc = TNEFParseMemory(clean->data, (long) clean->len, &t);
	if (rc < 0) {
		TNEFFree(&t);
		g_byte_array_unref(clean);
		side_free(&side);
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "TNEF damaged (libytnef error %d)", rc);
		return NULL;
	}

	guint32 cp = 1252;
	if (t.CodePage.data != NULL && t.CodePage.size >= 4)
		cp = le32(t.CodePage.data);
	GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify) cd_tnef_file_free);
	guint nr = 0;
	for (Attachment *a = t.starting_attach.next; a != NULL; a = a->next, nr++)
		add_attachment(files, a, nr + 1, nr < side.titles->len ? side.titles->pdata[nr] : NULL, cp);
	add_bodies(files, &t, side.body, cp);

	TNEFFree(&t);
	g_byte_array_unref(clean);
	side_free(&side);
	return files;
}
