/* test_tnef.c - unit tests for core/tnef.c: winmail.dat to files.
 *
 * There is no winmail.dat in the corpus, so the tests build TNEF blobs themselves from
 * the documented format (MS-OXTNEF: signature 0x223E9F78, key, then attributes of
 * level, id, length, data, checksum; MAPI property blocks; compressed RTF per
 * MS-OXRTFCP) and check that names, types, sizes and bytes come out. Then they feed
 * truncated, bit-flipped and randomly built blobs, and check that nothing crashes,
 * leaks (under ASan) or gets printed on stdout by libytnef. */
#include "mime.h"
#include "tnef.h"
#include "result.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- a TNEF writer ---------------------------------------------------------------- */

#define LVL_MSG 1
#define LVL_ATT 2
/* attribute ids: type << 16 | id (MS-OXTNEF 2.1.3.2) */
#define A_TNEF_VERSION  0x00089006u
#define A_OEM_CODEPAGE  0x00069007u
#define A_MESSAGE_CLASS 0x00078008u
#define A_SUBJECT       0x00018004u
#define A_DATE_SENT     0x00038005u
#define A_BODY          0x0002800Cu
#define A_MAPI_PROPS    0x00069003u
#define A_RENDDATA      0x00069002u
#define A_ATTACH_TITLE  0x00018010u
#define A_ATTACH_DATA   0x0006800Fu
#define A_ATTACHMENT    0x00069005u
#define A_SENT_FOR      0x00060001u
#define A_RECIP_TABLE   0x00069004u
/* MAPI property types and ids */
#define PT_LONG_    0x0003u
#define PT_STRING8_ 0x001Eu
#define PT_UNICODE_ 0x001Fu
#define PT_BINARY_  0x0102u
#define TAG(type, id) ((guint32) (id) << 16 | (type))

static void
put8(GByteArray *b, guint8 v)
{
	g_byte_array_append(b, &v, 1);
}

static void
put16(GByteArray *b, guint16 v)
{
	put8(b, (guint8) v);
	put8(b, (guint8) (v >> 8));
}

static void
put32(GByteArray *b, guint32 v)
{
	put16(b, (guint16) v);
	put16(b, (guint16) (v >> 16));
}

static GByteArray *
tnef_new(void)
{
	GByteArray *b = g_byte_array_new();
	put32(b, 0x223E9F78u);
	put16(b, 0x4d2e);   /* legacy key */
	return b;
}

static void
tnef_attr(GByteArray *b, guint8 level, guint32 id, const void *data, gsize n)
{
	const guint8 *d = data;
	guint16 sum = 0;
	for (gsize i = 0; i < n; i++)
		sum = (guint16) (sum + d[i]);
	put8(b, level);
	put32(b, id);
	put32(b, (guint32) n);
	g_byte_array_append(b, d, (guint) n);
	put16(b, sum);
}

static void
tnef_attr_str(GByteArray *b, guint8 level, guint32 id, const char *s)
{
	tnef_attr(b, level, id, s, strlen(s) + 1);
}

static void
tnef_attr_bytes(GByteArray *b, guint8 level, guint32 id, GByteArray *d)
{
	tnef_attr(b, level, id, d->data, d->len);
}

typedef struct {
	GByteArray *b;
	guint32 count;
} mapi_w;

static void
mapi_init(mapi_w *m)
{
	m->b = g_byte_array_new();
	m->count = 0;
	put32(m->b, 0);
}

static void
mapi_pad(GByteArray *b, gsize n)
{
	while (n++ % 4)
		put8(b, 0);
}

static void
mapi_binary_like(mapi_w *m, guint32 type, guint16 id, const void *d, gsize n)
{
	put32(m->b, TAG(type, id));
	put32(m->b, 1);   /* one value */
	put32(m->b, (guint32) n);
	g_byte_array_append(m->b, d, (guint) n);
	mapi_pad(m->b, n);
	m->count++;
}

static void
mapi_str8(mapi_w *m, guint16 id, const char *s)
{
	mapi_binary_like(m, PT_STRING8_, id, s, strlen(s) + 1);
}

static void
mapi_unicode(mapi_w *m, guint16 id, const char *utf8)
{
	glong n = 0;
	gunichar2 *w = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);
	GByteArray *le = g_byte_array_new();
	for (glong i = 0; i <= n; i++)   /* with the terminating 0 */
		put16(le, w[i]);
	mapi_binary_like(m, PT_UNICODE_, id, le->data, le->len);
	g_byte_array_unref(le);
	g_free(w);
}

static void
mapi_long(mapi_w *m, guint16 id, guint32 v)
{
	put32(m->b, TAG(PT_LONG_, id));
	put32(m->b, v);
	m->count++;
}

static GByteArray *
mapi_finish(mapi_w *m)
{
	m->b->data[0] = (guint8) m->count;
	m->b->data[1] = (guint8) (m->count >> 8);
	return m->b;
}

static void
renddata(GByteArray *b)
{
	guint8 r[14] = { 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 };
	tnef_attr(b, LVL_ATT, A_RENDDATA, r, sizeof r);
}

/* ---- a compressed-RTF writer (MS-OXRTFCP) ----------------------------------------- */

static const char dict_prefix[] = "{\\rtf1\\ansi\\mac\\deff0";   /* offset 0 of the initial dictionary */

typedef struct {
	GByteArray *out;
	GString *expect;     /* what decompression must give */
	guint8 tokens[8][2];
	int ntok, nref;
	guint8 ctl;
	guint wp;            /* dictionary write position */
} lzfu_w;

static void
lzfu_flush(lzfu_w *z)
{
	if (z->ntok == 0)
		return;
	put8(z->out, z->ctl);
	for (int i = 0; i < z->ntok; i++) {
		put8(z->out, z->tokens[i][0]);
		if (z->ctl & (1u << i))
			put8(z->out, z->tokens[i][1]);
	}
	z->ntok = 0;
	z->ctl = 0;
}

static void
lzfu_literal(lzfu_w *z, guint8 c)
{
	z->tokens[z->ntok][0] = c;
	z->ntok++;
	z->wp = (z->wp + 1) % 4096;
	g_string_append_c(z->expect, (char) c);
	if (z->ntok == 8)
		lzfu_flush(z);
}

static void
lzfu_ref(lzfu_w *z, guint offset, guint len, const char *gives)
{
	guint v = offset << 4 | (len - 2);
	z->tokens[z->ntok][0] = (guint8) (v >> 8);
	z->tokens[z->ntok][1] = (guint8) v;
	z->ctl |= (guint8) (1u << z->ntok);
	z->ntok++;
	z->wp = (z->wp + len) % 4096;
	if (gives != NULL)
		g_string_append_len(z->expect, gives, len);
	if (z->ntok == 8)
		lzfu_flush(z);
}

/* lzfu_sample - a compressed RTF stream using a reference into the initial dictionary,
 * literals, overlapping references that run the dictionary round, and the end marker. */
static GByteArray *
lzfu_sample(GString *expect)
{
	lzfu_w z = { g_byte_array_new(), expect, { { 0 } }, 0, 0, 0, 207 };
	/* a reference copies at most 17 bytes */
	for (guint off = 0; off < strlen(dict_prefix); off += 17) {
		guint len = MIN(17u, (guint) strlen(dict_prefix) - off);
		if (len == 1)
			lzfu_literal(&z, (guint8) dict_prefix[off]);
		else
			lzfu_ref(&z, off, len, dict_prefix + off);
	}
	for (const char *p = " Hello from Outlook \\par "; *p; p++)
		lzfu_literal(&z, (guint8) *p);
	guint at = z.wp;
	lzfu_literal(&z, 'x');
	for (int i = 0; i < 300; i++)   /* 5100 x: copies of what is being written */
		lzfu_ref(&z, at, 17, "xxxxxxxxxxxxxxxxx");
	lzfu_literal(&z, '}');
	lzfu_ref(&z, z.wp, 2, NULL);   /* end */
	lzfu_flush(&z);
	GByteArray *b = g_byte_array_new();
	put32(b, z.out->len + 12);
	put32(b, (guint32) expect->len);
	put32(b, 0x75465A4Cu);   /* "LZFu" */
	put32(b, 0);             /* CRC, not checked */
	g_byte_array_append(b, z.out->data, z.out->len);
	g_byte_array_unref(z.out);
	return b;
}

/* ---- the sample winmail.dat ------------------------------------------------------- */

#define LONG_NAME "Quarterly report \xe2\x80\x93 Q3 \xf0\x9f\x98\x80.pdf"   /* en dash, emoji */
#define HTML_BODY "<html><head><meta charset=\"windows-1252\"></head><body><p>Hi</p></body></html>"

typedef struct {
	GByteArray *blob;
	GByteArray *att1, *att2, *att3;
	GString *rtf;
} sample;

static sample
make_sample(void)
{
	sample s;
	s.att1 = g_byte_array_new();
	for (int i = 0; i < 3000; i++)
		put8(s.att1, (guint8) (i * 7 + 3));
	s.att2 = g_byte_array_new();
	g_byte_array_append(s.att2, (const guint8 *) "hello\r\nworld\r\n", 14);
	s.att3 = g_byte_array_new();
	for (int i = 0; i < 100; i++)
		put8(s.att3, (guint8) i);
	s.rtf = g_string_new(NULL);

	GByteArray *b = tnef_new();
	guint8 ver[4] = { 0, 0, 1, 0 };
	tnef_attr(b, LVL_MSG, A_TNEF_VERSION, ver, 4);
	guint8 cp[8] = { 0xe4, 0x04, 0, 0, 0, 0, 0, 0 };   /* 1252 */
	tnef_attr(b, LVL_MSG, A_OEM_CODEPAGE, cp, 8);
	tnef_attr_str(b, LVL_MSG, A_MESSAGE_CLASS, "IPM.Microsoft Mail.Note");
	tnef_attr_str(b, LVL_MSG, A_SUBJECT, "Order 4711");
	guint8 date[14] = { 0xe8, 0x07, 3, 0, 14, 0, 9, 0, 30, 0, 0, 0, 4, 0 };
	tnef_attr(b, LVL_MSG, A_DATE_SENT, date, sizeof date);
	tnef_attr_str(b, LVL_MSG, A_BODY, "Gr\xfc\xdf" "e, the r\xe9sum\xe9 is attached.");   /* cp1252 */
	mapi_w m;
	mapi_init(&m);
	mapi_long(&m, 0x3FDE, 1252);   /* PR_INTERNET_CPID */
	GByteArray *rtf = lzfu_sample(s.rtf);
	mapi_binary_like(&m, PT_BINARY_, 0x1009, rtf->data, rtf->len);   /* PR_RTF_COMPRESSED */
	g_byte_array_unref(rtf);
	mapi_binary_like(&m, PT_BINARY_, 0x1013, HTML_BODY, strlen(HTML_BODY));   /* PR_BODY_HTML */
	GByteArray *mb = mapi_finish(&m);
	tnef_attr_bytes(b, LVL_MSG, A_MAPI_PROPS, mb);
	g_byte_array_unref(mb);

	/* 1: a PDF with an 8.3 title and a long Unicode name */
	renddata(b);
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, "QUARTE~1.PDF");
	tnef_attr_bytes(b, LVL_ATT, A_ATTACH_DATA, s.att1);
	mapi_init(&m);
	mapi_long(&m, 0x3705, 1);   /* PR_ATTACH_METHOD: by value */
	mapi_unicode(&m, 0x3707, LONG_NAME);
	mapi_str8(&m, 0x370E, "application/pdf");
	mb = mapi_finish(&m);
	tnef_attr_bytes(b, LVL_ATT, A_ATTACHMENT, mb);
	g_byte_array_unref(mb);

	/* 2: only an 8.3 title */
	renddata(b);
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, "NOTES.TXT");
	tnef_attr_bytes(b, LVL_ATT, A_ATTACH_DATA, s.att2);

	/* 3: a long 8-bit name in the message's code page, a made-up extension */
	renddata(b);
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, "PREISL~1.XYZ");
	tnef_attr_bytes(b, LVL_ATT, A_ATTACH_DATA, s.att3);
	mapi_init(&m);
	mapi_str8(&m, 0x3707, "Preisliste f\xfcr Kunden.xyz");
	mapi_str8(&m, 0x370E, "Application/X-Preisliste");
	mb = mapi_finish(&m);
	tnef_attr_bytes(b, LVL_ATT, A_ATTACHMENT, mb);
	g_byte_array_unref(mb);

	s.blob = b;
	return s;
}

static void
sample_free(sample *s)
{
	g_byte_array_unref(s->blob);
	g_byte_array_unref(s->att1);
	g_byte_array_unref(s->att2);
	g_byte_array_unref(s->att3);
	g_string_free(s->rtf, TRUE);
}

/* ---- stdout watch: libytnef must never print ---------------------------------------- */

static int saved_stdout = -1;
static FILE *captured;

static void
stdout_capture(void)
{
	fflush(stdout);
	captured = tmpfile();
	g_assert_nonnull(captured);
	saved_stdout = dup(1);
	g_assert_cmpint(dup2(fileno(captured), 1), ==, 1);
}

static long
stdout_release(void)
{
	fflush(stdout);
	g_assert_cmpint(dup2(saved_stdout, 1), ==, 1);
	close(saved_stdout);
	fseek(captured, 0, SEEK_END);
	long n = ftell(captured);
	if (n > 0) {
		char buf[200] = { 0 };
		fseek(captured, 0, SEEK_SET);
		if (fread(buf, 1, sizeof buf - 1, captured) > 0)
			g_printerr("stdout got: %s\n", buf);
	}
	fclose(captured);
	return n;
}

/* extract - cd_tnef_extract() with stdout watched; the error is freed. */
static GPtrArray *
extract(const guint8 *d, gsize n, GError **error)
{
	stdout_capture();
	GPtrArray *files = cd_tnef_extract(d, n, error);
	g_assert_cmpint(stdout_release(), ==, 0);
	if (files != NULL) {
		for (guint i = 0; i < files->len; i++) {
			cd_tnef_file *f = g_ptr_array_index(files, i);
			g_assert_nonnull(f->filename);
			g_assert_cmpstr(f->filename, !=, "");
			g_assert_true(g_utf8_validate(f->filename, -1, NULL));
			g_assert_null(strchr(f->filename, '/'));
			g_assert_nonnull(f->content_type);
			g_assert_nonnull(f->data);
		}
	}
	return files;
}

static cd_tnef_file *
file_at(GPtrArray *files, guint i)
{
	g_assert_cmpuint(i, <, files->len);
	return g_ptr_array_index(files, i);
}

static void
assert_bytes(GBytes *b, const void *want, gsize n)
{
	gsize got;
	const guint8 *d = g_bytes_get_data(b, &got);
	g_assert_cmpuint(got, ==, n);
	g_assert_true(n == 0 || memcmp(d, want, n) == 0);
}

/* ---- tests ------------------------------------------------------------------------ */

static void
test_sample(void)
{
	sample s = make_sample();
	GError *error = NULL;
	GPtrArray *files = extract(s.blob->data, s.blob->len, &error);
	g_assert_no_error(error);
	g_assert_nonnull(files);
	g_assert_cmpuint(files->len, ==, 6);

	cd_tnef_file *f = file_at(files, 0);
	g_assert_cmpstr(f->filename, ==, LONG_NAME);
	g_assert_cmpstr(f->content_type, ==, "application/pdf");
	assert_bytes(f->data, s.att1->data, s.att1->len);

	f = file_at(files, 1);
	g_assert_cmpstr(f->filename, ==, "NOTES.TXT");
	g_assert_cmpstr(f->content_type, ==, "text/plain");
	assert_bytes(f->data, "hello\r\nworld\r\n", 14);

	f = file_at(files, 2);
	g_assert_cmpstr(f->filename, ==, "Preisliste f\xc3\xbcr Kunden.xyz");
	g_assert_cmpstr(f->content_type, ==, "application/x-preisliste");
	assert_bytes(f->data, s.att3->data, s.att3->len);

	f = file_at(files, 3);
	g_assert_cmpstr(f->filename, ==, "body.txt");
	g_assert_cmpstr(f->content_type, ==, "text/plain; charset=utf-8");
	const char *want = "Gr\xc3\xbc\xc3\x9f" "e, the r\xc3\xa9sum\xc3\xa9 is attached.";
	assert_bytes(f->data, want, strlen(want));

	f = file_at(files, 4);
	g_assert_cmpstr(f->filename, ==, "body.html");
	g_assert_true(g_str_has_prefix(f->content_type, "text/html"));
	assert_bytes(f->data, HTML_BODY, strlen(HTML_BODY));

	f = file_at(files, 5);
	g_assert_cmpstr(f->filename, ==, "body.rtf");
	g_assert_cmpstr(f->content_type, ==, "application/rtf");
	g_assert_cmpuint(s.rtf->len, >, 5000);
	assert_bytes(f->data, s.rtf->str, s.rtf->len);
	gsize n;
	g_assert_true(g_str_has_prefix(g_bytes_get_data(f->data, &n), "{\\rtf1\\ansi\\mac\\deff0 Hello"));

	g_ptr_array_unref(files);
	sample_free(&s);
}

static void
test_uncompressed_rtf_and_names(void)
{
	GByteArray *b = tnef_new();
	const char *rtf = "{\\rtf1 plain}";
	GByteArray *r = g_byte_array_new();
	put32(r, (guint32) strlen(rtf) + 12);
	put32(r, (guint32) strlen(rtf));
	put32(r, 0x414C454Du);   /* "MELA" */
	put32(r, 0);
	g_byte_array_append(r, (const guint8 *) rtf, (guint) strlen(rtf));
	mapi_w m;
	mapi_init(&m);
	mapi_binary_like(&m, PT_BINARY_, 0x1009, r->data, r->len);
	mapi_unicode(&m, 0x1000, "Unicode body \xe2\x82\xac");   /* PR_BODY_W */
	GByteArray *mb = mapi_finish(&m);
	tnef_attr_bytes(b, LVL_MSG, A_MAPI_PROPS, mb);
	g_byte_array_unref(mb);
	g_byte_array_unref(r);

	/* names that must not reach a caller as they are */
	static const char *const raw_names[] = {
		"..\\..\\windows\\evil.exe", "/etc/passwd", "body.txt", "\x01\x02", "invoice\xe2\x80\xaegpj.exe",
	};
	static const char *const want_names[] = {
		"evil.exe", "passwd", "attachment-body.txt", "attachment-4", "invoicegpj.exe",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(raw_names); i++) {
		renddata(b);
		tnef_attr(b, LVL_ATT, A_ATTACH_DATA, "x", 1);
		mapi_init(&m);
		mapi_unicode(&m, 0x3707, raw_names[i]);
		mb = mapi_finish(&m);
		tnef_attr_bytes(b, LVL_ATT, A_ATTACHMENT, mb);
		g_byte_array_unref(mb);
	}
	/* an attachment without data is skipped */
	renddata(b);
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, "EMPTY.TXT");
	/* a name longer than 255 bytes keeps its extension */
	renddata(b);
	tnef_attr(b, LVL_ATT, A_ATTACH_DATA, "y", 1);
	GString *longname = g_string_new(NULL);
	for (int i = 0; i < 400; i++)
		g_string_append(longname, "\xc3\xa9");
	g_string_append(longname, ".docx");
	mapi_init(&m);
	mapi_unicode(&m, 0x3707, longname->str);
	mb = mapi_finish(&m);
	tnef_attr_bytes(b, LVL_ATT, A_ATTACHMENT, mb);
	g_byte_array_unref(mb);
	g_string_free(longname, TRUE);

	GError *error = NULL;
	GPtrArray *files = extract(b->data, b->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, G_N_ELEMENTS(raw_names) + 3);
	for (gsize i = 0; i < G_N_ELEMENTS(raw_names); i++)
		g_assert_cmpstr(file_at(files, (guint) i)->filename, ==, want_names[i]);
	cd_tnef_file *f = file_at(files, G_N_ELEMENTS(raw_names));
	g_assert_cmpuint(strlen(f->filename), <=, 255);
	g_assert_true(g_str_has_suffix(f->filename, "\xc3\xa9.docx"));
	g_assert_cmpstr(f->content_type, ==,
	                "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
	f = file_at(files, G_N_ELEMENTS(raw_names) + 1);
	g_assert_cmpstr(f->filename, ==, "body.txt");
	assert_bytes(f->data, "Unicode body \xe2\x82\xac", 16);
	f = file_at(files, G_N_ELEMENTS(raw_names) + 2);
	g_assert_cmpstr(f->filename, ==, "body.rtf");
	assert_bytes(f->data, rtf, strlen(rtf));
	g_ptr_array_unref(files);
	g_byte_array_unref(b);
}

static void
test_not_tnef(void)
{
	static const char *const inputs[] = { "", "x", "hello world", "\x78\x9f\x3e", "\x78\x9f\x3e\x23\x01\x00" };
	for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
		GError *error = NULL;
		g_assert_null(extract((const guint8 *) inputs[i], strlen(inputs[i]), &error));
		g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
		g_clear_error(&error);
	}
	GError *error = NULL;
	g_assert_null(extract(NULL, 0, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
	/* a signature and key alone: TNEF, but empty */
	GByteArray *b = tnef_new();
	GPtrArray *files = extract(b->data, b->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 0);
	g_ptr_array_unref(files);
	g_byte_array_unref(b);
}

static void
test_truncated(void)
{
	sample s = make_sample();
	guint ok = 0, failed = 0;
	for (gsize n = 0; n < s.blob->len; n++) {
		/* a copy of exactly n bytes, so that ASan sees any read past the end */
		guint8 *cut = g_memdup2(s.blob->data, n);
		GError *error = NULL;
		GPtrArray *files = extract(cut, n, &error);
		if (files != NULL) {
			g_assert_no_error(error);
			ok++;
			g_ptr_array_unref(files);
		} else {
			g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
			g_clear_error(&error);
			failed++;
		}
		g_free(cut);
	}
	/* only a cut between two attributes leaves valid TNEF */
	g_assert_cmpuint(ok, >, 5);
	g_assert_cmpuint(failed, >, s.blob->len - 30);
	sample_free(&s);
}

static void
test_corrupted(void)
{
	sample s = make_sample();
	GRand *r = g_rand_new_with_seed(4711);
	/* every byte flipped once: most are caught by the checksums */
	for (gsize i = 0; i < s.blob->len; i += (i < 200 ? 1 : 7)) {
		guint8 *c = g_memdup2(s.blob->data, s.blob->len);
		c[i] ^= (guint8) (1u << g_rand_int_range(r, 0, 8));
		GError *error = NULL;
		GPtrArray *files = extract(c, s.blob->len, &error);
		if (files != NULL)
			g_ptr_array_unref(files);
		g_clear_error(&error);
		g_free(c);
	}
	/* lengths of 0xffffffff and of one more than is there */
	GByteArray *b = tnef_new();
	put8(b, LVL_MSG);
	put32(b, A_BODY);
	put32(b, 0xffffffffu);
	put16(b, 0);
	GError *error = NULL;
	g_assert_null(extract(b->data, b->len, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_nonnull(strstr(error->message, "cut off"));
	g_clear_error(&error);
	g_byte_array_unref(b);
	/* a bad checksum */
	b = tnef_new();
	tnef_attr_str(b, LVL_MSG, A_SUBJECT, "x");
	b->data[b->len - 1] ^= 1;
	g_assert_null(extract(b->data, b->len, &error));
	g_assert_nonnull(strstr(error->message, "checksum"));
	g_clear_error(&error);
	g_byte_array_unref(b);
	g_rand_free(r);
	sample_free(&s);
}

/* Attributes that are well-formed TNEF but that libytnef mishandles: they must be
 * left out, not crash, leak or print. */
static void
test_libytnef_weak_spots(void)
{
	GByteArray *b = tnef_new();
	tnef_attr(b, LVL_MSG, A_TNEF_VERSION, "\x01", 1);                 /* read as 4 bytes */
	tnef_attr(b, LVL_MSG, A_DATE_SENT, "\x01\x02", 2);               /* read as 14 bytes */
	tnef_attr(b, LVL_MSG, A_RECIP_TABLE, "\x01", 1);                 /* read as 4 bytes */
	tnef_attr(b, LVL_MSG, A_SENT_FOR, "\xff\x00" "ab", 4);           /* name longer than data */
	tnef_attr(b, LVL_ATT, A_ATTACH_DATA, "orphan", 6);               /* before any attachment */
	tnef_attr_str(b, LVL_MSG, A_BODY, "first body");
	tnef_attr_str(b, LVL_MSG, A_BODY, "second body");                /* leaked by libytnef */
	put8(b, LVL_MSG);                                                /* empty attribute */
	put32(b, A_SUBJECT);
	put32(b, 0);
	put16(b, 0);
	mapi_w m;
	mapi_init(&m);
	mapi_str8(&m, 0x0037, "subject");
	/* compressed RTF that lies about its sizes and ends in half a reference */
	GByteArray *r = g_byte_array_new();
	put32(r, 0xfffffff0u);
	put32(r, 0x7fffffffu);
	put32(r, 0x75465A4Cu);
	put32(r, 0);
	put8(r, 0xff);
	put8(r, 0x12);
	mapi_binary_like(&m, PT_BINARY_, 0x1009, r->data, r->len);
	g_byte_array_unref(r);
	GByteArray *big = g_byte_array_new();
	for (int i = 0; i < 60000; i++)
		put16(big, 'a');
	put16(big, 0);
	mapi_binary_like(&m, PT_UNICODE_, 0x1000, big->data, big->len);   /* > libytnef's 100,000 */
	g_byte_array_unref(big);
	put32(m.b, TAG(0x00FB, 0x0FFF));                                  /* a type libytnef cannot read */
	put32(m.b, 1);
	m.count++;
	GByteArray *mb = mapi_finish(&m);
	tnef_attr_bytes(b, LVL_MSG, A_MAPI_PROPS, mb);
	tnef_attr_bytes(b, LVL_MSG, A_MAPI_PROPS, mb);                    /* again */
	g_byte_array_unref(mb);
	/* MAPI blocks: too many properties, a named property claiming 2^32 names */
	GByteArray *bad = g_byte_array_new();
	put32(bad, 5000);
	tnef_attr_bytes(b, LVL_MSG, A_MAPI_PROPS, bad);
	g_byte_array_unref(bad);
	renddata(b);
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, "A.TXT");
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, "B.TXT");               /* repeated */
	tnef_attr(b, LVL_ATT, A_ATTACH_DATA, "data", 4);
	bad = g_byte_array_new();
	put32(bad, 1);
	put32(bad, TAG(PT_STRING8_, 0x8001));
	for (int i = 0; i < 4; i++)
		put32(bad, 0x11111111);   /* GUID */
	put32(bad, 0xffffffffu);      /* number of names */
	tnef_attr_bytes(b, LVL_ATT, A_ATTACHMENT, bad);
	g_byte_array_unref(bad);
	renddata(b);
	tnef_attr(b, LVL_ATT, A_ATTACH_DATA, "z", 1);

	GError *error = NULL;
	GPtrArray *files = extract(b->data, b->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 3);
	g_assert_cmpstr(file_at(files, 0)->filename, ==, "A.TXT");
	assert_bytes(file_at(files, 0)->data, "data", 4);
	g_assert_cmpstr(file_at(files, 1)->filename, ==, "attachment-2");
	g_assert_cmpstr(file_at(files, 2)->filename, ==, "body.txt");
	assert_bytes(file_at(files, 2)->data, "first body", 10);
	g_ptr_array_unref(files);
	g_byte_array_unref(b);
}

/* libytnef 2.0 fails the whole parse on a subject or title over 100 bytes and on a
 * body over 100,000: real mail has those. */
static void
test_libytnef_size_limits(void)
{
	GString *subject = g_string_new(NULL);
	while (subject->len < 150)
		g_string_append(subject, "Re: Re: order ");
	GString *body = g_string_new(NULL);
	while (body->len < 150000)
		g_string_append(body, "A long plain text body line.\r\n");
	GString *title = g_string_new("Very long attachment title that Outlook put in attAttachTitle ");
	while (title->len < 130)
		g_string_append(title, "x");
	g_string_append(title, ".pdf");

	GByteArray *b = tnef_new();
	tnef_attr_str(b, LVL_MSG, A_SUBJECT, subject->str);
	tnef_attr_str(b, LVL_MSG, A_BODY, body->str);
	mapi_w m;
	mapi_init(&m);
	mapi_unicode(&m, 0x0037, subject->str);   /* PR_SUBJECT_W, 300 bytes */
	mapi_long(&m, 0x3FDE, 65001);
	GByteArray *mb = mapi_finish(&m);
	tnef_attr_bytes(b, LVL_MSG, A_MAPI_PROPS, mb);
	g_byte_array_unref(mb);
	renddata(b);
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, title->str);
	tnef_attr(b, LVL_ATT, A_ATTACH_DATA, "%PDF", 4);

	GError *error = NULL;
	GPtrArray *files = extract(b->data, b->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 2);
	g_assert_cmpstr(file_at(files, 0)->filename, ==, title->str);
	g_assert_cmpstr(file_at(files, 0)->content_type, ==, "application/pdf");
	g_assert_cmpstr(file_at(files, 1)->filename, ==, "body.txt");
	assert_bytes(file_at(files, 1)->data, body->str, body->len);
	g_ptr_array_unref(files);
	g_byte_array_unref(b);
	g_string_free(subject, TRUE);
	g_string_free(body, TRUE);
	g_string_free(title, TRUE);
}

/* libytnef refuses attributes over 50 MiB unless told otherwise. */
static void
test_large_attachment(void)
{
	gsize n = 51 * 1024 * 1024;
	GByteArray *b = tnef_new();
	renddata(b);
	tnef_attr_str(b, LVL_ATT, A_ATTACH_TITLE, "BIG.BIN");
	guint8 *d = g_malloc(n);
	for (gsize i = 0; i < n; i++)
		d[i] = (guint8) (i >> 12);
	tnef_attr(b, LVL_ATT, A_ATTACH_DATA, d, n);
	GError *error = NULL;
	GPtrArray *files = extract(b->data, b->len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 1);
	assert_bytes(file_at(files, 0)->data, d, n);
	g_assert_cmpstr(file_at(files, 0)->content_type, ==, "application/octet-stream");
	g_ptr_array_unref(files);
	g_free(d);
	g_byte_array_unref(b);
}

/* Random streams of well-formed attributes (right checksums) holding random data:
 * everything reaches libytnef's handlers and TNEFFillMapi(). */
static void
test_random_streams(void)
{
	static const guint32 ids[] = {
		0x00000000, 0x00008000, A_SUBJECT, A_DATE_SENT, 0x00038006, 0x00068007, A_MESSAGE_CLASS,
		0x00018009, 0x0001800A, 0x0001800B, A_BODY, 0x0004800D, A_ATTACH_DATA, A_ATTACH_TITLE,
		0x00068011, 0x00038012, 0x00038013, 0x00038020, 0x00069001, A_RENDDATA, A_MAPI_PROPS,
		A_RECIP_TABLE, A_ATTACHMENT, A_TNEF_VERSION, A_OEM_CODEPAGE, 0x00070006, 0x00060000,
		A_SENT_FOR, 0x00060002, 0x00030006, 0x00030007, 0x00050008, 0x00040009, 0x12345678,
	};
	static const guint32 types[] = {
		0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x000A, 0x000B, 0x000D, 0x0014, 0x001E,
		0x001F, 0x0040, 0x0048, 0x0102, 0x1003, 0x101E, 0x101F, 0x1102, 0x0001, 0x00FB,
	};
	GRand *r = g_rand_new_with_seed(20240607);
	for (int iter = 0; iter < 3000; iter++) {
		GByteArray *b = tnef_new();
		int nattr = g_rand_int_range(r, 1, 12);
		for (int k = 0; k < nattr; k++) {
			guint32 id = ids[g_rand_int_range(r, 0, G_N_ELEMENTS(ids))];
			GByteArray *d = g_byte_array_new();
			if ((id == A_MAPI_PROPS || id == A_ATTACHMENT) && g_rand_boolean(r)) {
				/* a plausible MAPI block with random properties */
				guint32 count = (guint32) g_rand_int_range(r, 0, 6);
				put32(d, count);
				for (guint32 p = 0; p < count; p++) {
					guint32 type = types[g_rand_int_range(r, 0, G_N_ELEMENTS(types))];
					guint32 pid = g_rand_boolean(r) ? 0x3707 : (guint32) g_rand_int_range(r, 0x7ff0, 0x8010);
					put32(d, TAG(type, pid));
					int extra = g_rand_int_range(r, 0, 40);
					for (int e = 0; e < extra; e++)
						put8(d, g_rand_int_range(r, 0, 8) == 0 ? 0xff : (guint8) g_rand_int_range(r, 0, 8));
				}
			} else {
				int len = g_rand_int_range(r, 0, 64);
				for (int e = 0; e < len; e++)
					put8(d, (guint8) g_rand_int_range(r, 0, 256));
			}
			tnef_attr(b, (guint8) g_rand_int_range(r, 0, 3), id, d->data, d->len);
			g_byte_array_unref(d);
		}
		guint8 *copy = g_memdup2(b->data, b->len);
		GError *error = NULL;
		GPtrArray *files = extract(copy, b->len, &error);
		if (files != NULL)
			g_ptr_array_unref(files);
		g_clear_error(&error);
		g_free(copy);
		g_byte_array_unref(b);
	}
	g_rand_free(r);
}

static gpointer
thread_main(gpointer data)
{
	GByteArray *blob = data;
	for (int i = 0; i < 100; i++) {
		GPtrArray *files = cd_tnef_extract(blob->data, blob->len, NULL);
		if (files == NULL || files->len != 6)
			return GINT_TO_POINTER(1);
		g_ptr_array_unref(files);
	}
	return NULL;
}

static void
test_threads(void)
{
	sample s = make_sample();
	GThread *th[6];
	for (gsize i = 0; i < G_N_ELEMENTS(th); i++)
		th[i] = g_thread_new("tnef", thread_main, s.blob);
	for (gsize i = 0; i < G_N_ELEMENTS(th); i++)
		g_assert_null(g_thread_join(th[i]));
	sample_free(&s);
}

/* test_in_a_message - a winmail.dat part of a real message: the files inside become the message's
 * attachments and the body inside becomes its text. CAREDESK_TNEF_SAMPLE=FILE also writes the
 * blob there (make fuzz seeds its TNEF target with it). */
static void
test_in_a_message(void)
{
	sample smp = make_sample();
	const char *out = g_getenv("CAREDESK_TNEF_SAMPLE");
	if (out)
		g_assert_true(g_file_set_contents(out, (const char *)smp.blob->data, smp.blob->len, NULL));
	char *b64 = g_base64_encode(smp.blob->data, smp.blob->len);
	char *raw = g_strdup_printf("From: outlook@example.org\nSubject: Order 4711\nMIME-Version: 1.0\n"
	                            "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\n\n"
	                            "--x\nContent-Type: application/ms-tnef; name=winmail.dat\n"
	                            "Content-Disposition: attachment; filename=winmail.dat\n"
	                            "Content-Transfer-Encoding: base64\n\n%s\n--x--\n",
	                            b64);
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	cd_message *m = cd_mime_parse(raw, strlen(raw), &opt);
	gboolean have_long = FALSE, have_notes = FALSE;
	for (guint i = 0; i < m->attachments->len; i++) {
		cd_attachment *a = g_ptr_array_index(m->attachments, i);
		g_assert_cmpstr(a->content_type, !=, "application/ms-tnef");
		if (g_strcmp0(a->filename, LONG_NAME) == 0) {
			have_long = TRUE;
			g_assert_cmpuint(a->size, ==, smp.att1->len);
			g_assert_cmpstr(a->note, ==, "from winmail.dat");
		}
		if (g_strcmp0(a->filename, "NOTES.TXT") == 0)
			have_notes = TRUE;
	}
	g_assert_true(have_long);
	g_assert_true(have_notes);
	g_assert_nonnull(strstr(m->text, "Grüße, the résumé is attached."));
	cd_message_free(m);
	g_free(raw);
	g_free(b64);
	sample_free(&smp);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tnef/sample", test_sample);
	g_test_add_func("/tnef/uncompressed-rtf-and-names", test_uncompressed_rtf_and_names);
	g_test_add_func("/tnef/not-tnef", test_not_tnef);
	g_test_add_func("/tnef/truncated", test_truncated);
	g_test_add_func("/tnef/corrupted", test_corrupted);
	g_test_add_func("/tnef/libytnef-weak-spots", test_libytnef_weak_spots);
	g_test_add_func("/tnef/libytnef-size-limits", test_libytnef_size_limits);
	g_test_add_func("/tnef/large-attachment", test_large_attachment);
	g_test_add_func("/tnef/random-streams", test_random_streams);
	g_test_add_func("/tnef/threads", test_threads);
	g_test_add_func("/tnef/in-a-message", test_in_a_message);
	return g_test_run();
}
