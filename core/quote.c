/* quote.c - quoted-reply and signature stripping (see quote.h).
 *
 * This module owns one decision: which lines of a reply body are the new text. It is a single
 * top-to-bottom pass over the lines with bounded look-ahead (an attribution spans at most four
 * lines, a header block is followed for at most HEADER_SCAN_LINES, per-line tests look at no more
 * than a few hundred bytes), so the cost is linear in the input; no regular expressions are used.
 *
 * How a body is read:
 *  - ">" lines form quote blocks (blank lines between ">" lines, and at most two unquoted lines
 *    squeezed between ">" lines, i.e. broken wraps, belong to the block). A quote block with no
 *    attribution above it is kept, unless only quotes, blank lines or rules follow it: then it is
 *    history at the bottom and goes.
 *  - An attribution line ("On <date>, X wrote:") is recognised by structure, not by a per-client
 *    pattern: it ends in a colon (or is framed by dashes) and holds a "wrote" verb from a
 *    multilingual list, plus evidence that it introduces a message (a date/time or an address),
 *    with the verb last or followed only by a name/address/date; or it is the verb-less Gmail form
 *    "<date> <time> Name <addr>:" / "<yyyy-mm-dd> <time> GMT+hh:mm Name". It may wrap over up to
 *    four lines and may share its first line with reply text ("reply On ... wrote:").
 *      after reply text, followed by a ">" block: the attribution, that block and the blank lines
 *        after it go, and reading goes on (bottom-posting, answers between quotes);
 *      after reply text, followed by unquoted text: everything from here on is history;
 *      before any reply text: it goes and the reply is read below it.
 *  - A separator ("-----Original Message-----", "---------- Forwarded message ---": a dash-framed
 *    label from a multilingual vocabulary; "Begin forwarded message:") or an Outlook-style header
 *    block (two or more different From/Sent/Date/To/Cc/Subject fields in one of many languages,
 *    optionally *bold* or indented, that look like a message header rather than a form: an address
 *    or a Subject, and an address in From or a date in Sent/Date) ends the reply, together with
 *    rules and a dated "Label: <date>" line directly above it. At the very top it is skipped.
 *  - A signature ends the reply: "-- " or "--", a long "_____" rule, a mobile signature in one of
 *    many languages ("Sent from my iPhone", "Envoyé depuis mon iPhone", "iPhoneから送信"); a
 *    client line that could also be prose ("Sent from Mail for Windows 10", "Get Outlook for iOS")
 *    or a "-Name" sign-off only when nothing but history follows it.
 * The result has LF line ends, no trailing blanks on its lines and no blank lines around it. If
 * no unquoted text is left, the whole input (trimmed) is returned instead. */
#include "quote.h"

#include <string.h>

/* Bounds on the per-line work (keeps the scan linear and the tests cheap). */
#define ATTR_MAX_LINE_BYTES 400  /* longer lines are never attribution/header/signature lines */
#define ATTR_MAX_JOIN_BYTES 600  /* an attribution wrapped over several lines, joined */
#define ATTR_MAX_PHYS_LINES 4    /* physical lines an attribution may span (not counting blanks) */
#define ATTR_MAX_WORDS 40
#define HEADER_SCAN_LINES 12     /* how far a header block is followed */

typedef struct {
	const char *s; /* start of the line inside the input */
	gsize len;     /* length without the line terminator */
} QUOTE_LINE;

typedef enum { OUT_NONE = 0, OUT_TEXT, OUT_BLANK, OUT_QUOTE, OUT_RULE } OUT_KIND;

#define LOWER_CACHE_SLOTS 64 /* lower-case copies of recent lines (the look-ahead window is far smaller) */

typedef struct {
	gsize line;    /* which line the copy is of (G_MAXSIZE: none) */
	GString *text; /* the lower-case copy */
} LOWER_SLOT;

/* Per-line state is kept small (11 bytes a line), so even a body of nothing but newlines stays cheap. */
typedef struct {
	const char *buf;     /* the (valid UTF-8) input */
	gsize n;             /* number of lines */
	gsize *start;        /* n + 1 offsets into buf: where each line starts; start[n] = one past the end */
	guint8 *flags;       /* LINE_BLANK / LINE_QUOTED at split time; LINE_* facts below on demand */
	guint8 *field_kind;  /* FIELD_KIND of each line, valid once LINE_FIELD_KNOWN is set */
	guint8 *out;         /* OUT_KIND of each line in the result; OUT_NONE = not part of it */
	gsize out_tail;      /* one past the last line that may be in the result */
	gsize prefix_line;   /* a line kept only in part (reply text sharing its line with an attribution) */
	gsize prefix_len;    /* bytes of prefix_line that are kept */
	LOWER_SLOT lower[LOWER_CACHE_SLOTS];
	GString *scratch;    /* reused buffer for joining wrapped lines */
} QUOTE_CTX;

#define LINE_BLANK 0x1
#define LINE_QUOTED 0x2
#define LINE_FACTS_KNOWN 0x4 /* LINE_HAS_ADDRESS and LINE_HAS_DATE are valid */
#define LINE_HAS_ADDRESS 0x8
#define LINE_HAS_DATE 0x10
#define LINE_FIELD_KNOWN 0x20 /* field_kind[i] is valid */


/* ---------------------------------------------------------------------------------------- */
/* Character and span helpers                                                              */

/* space_len_at - byte length of a blank character at p (ASCII blank, NBSP, zero-width space, BOM), 0 if none */
static gsize
space_len_at(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	if (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r')
		return 1;
	if (c == 0xC2 && p + 1 < end && (unsigned char)p[1] == 0xA0)
		return 2; /* U+00A0 */
	if (c == 0xE2 && p + 2 < end && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0x8B || (unsigned char)p[2] == 0xAF))
		return 3; /* U+200B, U+202F */
	if (c == 0xEF && p + 2 < end && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
		return 3; /* U+FEFF */
	return 0;
}

/* trailing_space_len - byte length of the blank characters ending [s, end) */
static gsize
trailing_space_len(const char *s, const char *end)
{
	const char *e = end;
	while (e > s) {
		unsigned char c = (unsigned char)e[-1];
		if (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r') {
			e--;
		} else if (e - s >= 2 && (unsigned char)e[-2] == 0xC2 && c == 0xA0) {
			e -= 2;
		} else if (e - s >= 3 && (unsigned char)e[-3] == 0xE2 && (unsigned char)e[-2] == 0x80 &&
		           (c == 0x8B || c == 0xAF)) {
			e -= 3;
		} else if (e - s >= 3 && (unsigned char)e[-3] == 0xEF && (unsigned char)e[-2] == 0xBB && c == 0xBF) {
			e -= 3;
		} else {
			break;
		}
	}
	return (gsize)(end - e);
}

/* span_trim - narrow [*s, *s + *len) to exclude leading and trailing blank characters */
static void
span_trim(const char **s, gsize *len)
{
	const char *p = *s, *end = *s + *len;
	gsize k;
	while (p < end && (k = space_len_at(p, end)) > 0)
		p += k;
	end -= trailing_space_len(p, end);
	*s = p;
	*len = (gsize)(end - p);
}

/* span_starts_with - does the span begin with the NUL-terminated prefix (byte compare) */
static gboolean
span_starts_with(const char *s, gsize len, const char *prefix)
{
	gsize pl = strlen(prefix);
	return len >= pl && memcmp(s, prefix, pl) == 0;
}

/* span_ends_with - does the span end with the NUL-terminated suffix (byte compare) */
static gboolean
span_ends_with(const char *s, gsize len, const char *suffix)
{
	gsize sl = strlen(suffix);
	return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

/* span_has_letter - any ASCII letter or non-ASCII byte (a word in some script) */
static gboolean
span_has_letter(const char *s, gsize len)
{
	for (gsize k = 0; k < len; k++)
		if (g_ascii_isalpha(s[k]) || (unsigned char)s[k] >= 0x80)
			return TRUE;
	return FALSE;
}

/* span_count_words - number of blank-separated words in the span */
static guint
span_count_words(const char *s, gsize len)
{
	const char *p = s, *end = s + len;
	guint words = 0;
	gboolean in_word = FALSE;
	while (p < end) {
		gsize k = space_len_at(p, end);
		if (k > 0) {
			in_word = FALSE;
			p += k;
		} else {
			if (!in_word)
				words++;
			in_word = TRUE;
			p++;
		}
	}
	return words;
}

/* char_is_letter_at - is the UTF-8 character starting at p a letter (any script) */
static gboolean
char_is_letter_at(const char *p, const char *end)
{
	if (p >= end)
		return FALSE;
	if ((unsigned char)*p < 0x80)
		return g_ascii_isalpha(*p);
	gunichar c = g_utf8_get_char_validated(p, (gssize)(end - p));
	if (c == (gunichar)-1 || c == (gunichar)-2)
		return FALSE;
	return g_unichar_isalpha(c);
}

/* char_is_letter_before - is the UTF-8 character ending just before p a letter */
static gboolean
char_is_letter_before(const char *start, const char *p)
{
	if (p <= start)
		return FALSE;
	const char *q = g_utf8_find_prev_char(start, p);
	if (q == NULL)
		return FALSE;
	return char_is_letter_at(q, p);
}

/* ---------------------------------------------------------------------------------------- */
/* Evidence that a line speaks about a message: dates, times, addresses                      */

/* digits_at - number of consecutive ASCII digits starting at p */
static gsize
digits_at(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && g_ascii_isdigit(*q))
		q++;
	return (gsize)(q - p);
}

/* span_has_date_or_time - a year (19xx/20xx), a clock time (h:mm, h.mm) or a numeric date (d/m/y) */
static gboolean
span_has_date_or_time(const char *s, gsize len)
{
	const char *p = s, *end = s + len;
	while (p < end) {
		if (!g_ascii_isdigit(*p)) {
			p++;
			continue;
		}
		gboolean digit_before = p > s && g_ascii_isdigit(p[-1]);
		gsize run = digits_at(p, end);
		const char *after = p + run;
		if (!digit_before) {
			if (run == 4 && (p[0] == '1' || p[0] == '2') && (p[1] == '9' || p[1] == '0'))
				return TRUE;
			if (run <= 2 && after + 1 < end && (*after == ':' || *after == '.' || *after == '/' || *after == '-')) {
				gsize run2 = digits_at(after + 1, end);
				if ((*after == ':' || *after == '.') && run2 == 2 &&
				    (after + 3 >= end || !g_ascii_isdigit(after[3])))
					return TRUE; /* 6:54, 13.16 */
				const char *after2 = after + 1 + run2;
				if (run2 >= 1 && run2 <= 2 && after2 + 1 < end && *after2 == *after) {
					gsize run3 = digits_at(after2 + 1, end);
					if (run3 >= 2 && run3 <= 4)
						return TRUE; /* 19/03/2014, 25.06.2015 */
				}
			}
		}
		p = after;
	}
	return FALSE;
}

/* addr_char - may this byte appear in the local part or domain of an address */
static gboolean
addr_char(char c)
{
	return g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '=' || (unsigned char)c >= 0x80;
}

/* span_has_address - an e-mail address (x@y.z) */
static gboolean
span_has_address(const char *s, gsize len)
{
	const char *p = s, *end = s + len;
	while ((p = memchr(p, '@', (gsize)(end - p))) != NULL) {
		if (p > s && addr_char(p[-1]) && p + 1 < end && g_ascii_isalnum(p[1])) {
			const char *q = p + 1;
			while (q < end && addr_char(*q)) {
				if (*q == '.' && q + 1 < end && g_ascii_isalnum(q[1]))
					return TRUE;
				q++;
			}
		}
		p++;
	}
	return FALSE;
}

/* span_starts_with_year_date - "2014-03-20", "2011/4/7", "2016. 11. 8." (year first, Gmail/Asian style) */
static gboolean
span_starts_with_year_date(const char *s, gsize len)
{
	const char *end = s + len;
	if (digits_at(s, end) != 4 || len < 8)
		return FALSE;
	const char *p = s + 4;
	if (*p != '-' && *p != '/' && *p != '.')
		return FALSE;
	char sep = *p++;
	while (p < end && *p == ' ')
		p++;
	gsize m = digits_at(p, end);
	if (m < 1 || m > 2)
		return FALSE;
	p += m;
	if (p >= end || *p != sep)
		return FALSE;
	p++;
	while (p < end && *p == ' ')
		p++;
	gsize d = digits_at(p, end);
	return d >= 1 && d <= 2;
}

/* ---------------------------------------------------------------------------------------- */
/* Vocabulary                                                                               */

typedef struct {
	const char *word;     /* lower case UTF-8 */
	gboolean needs_bound; /* must not touch letters on either side (alphabetic scripts) */
} VERB;

/* "wrote" and its translations as used in attribution lines. */
static const VERB attribution_verbs[] = {
	{"wrote", TRUE}, {"writes", TRUE}, {"sent", TRUE},
	{"schrieb", TRUE}, {"schreibt", TRUE},
	{"a écrit", TRUE}, {"écrit", TRUE}, {"a ecrit", TRUE},
	{"escribió", TRUE}, {"escribio", TRUE}, {"ha escrito", TRUE},
	{"ha escrit", TRUE}, {"va escriure", TRUE},
	{"ha scritto", TRUE}, {"scrisse", TRUE},
	{"escreveu", TRUE},
	{"schreef", TRUE}, {"geschreven", TRUE},
	{"skrev", TRUE}, {"skriver", TRUE}, {"skrifaði", TRUE},
	{"kirjoitti", TRUE},
	{"napisał", TRUE}, {"napisała", TRUE}, {"napisał(a)", TRUE}, {"pisze", TRUE},
	{"napsal", TRUE}, {"napsala", TRUE}, {"napsal(a)", TRUE}, {"napísal", TRUE}, {"napísala", TRUE},
	{"napisao", TRUE}, {"napisala", TRUE}, {"je napisal", TRUE},
	{"написал", TRUE}, {"написала", TRUE}, {"написал(а)", TRUE}, {"пишет", TRUE},
	{"написав", TRUE}, {"написала", TRUE}, {"пише", TRUE},
	{"írta", TRUE}, {"yazdı", TRUE}, {"a scris", TRUE}, {"έγραψε", TRUE},
	{"rakstīja", TRUE}, {"rašė", TRUE}, {"kirjutas", TRUE}, {"menulis", TRUE},
	{"đã viết", TRUE}, {"viết", TRUE},
	{"כתב", TRUE}, {"كتب", TRUE},
	{"写道", FALSE}, {"寫道", FALSE}, {"のメッセージ", FALSE}, {"書きました", FALSE}, {"작성", FALSE},
};

/* Words that start an attribution line (case-sensitive, followed by a blank). */
static const char *const attribution_starters[] = {
	"On", "Le", "Am", "El", "Il", "Op", "Em", "W dniu", "Dnia", "Den", "På", "Vào", "At", "Dne", "Dňa",
	"Στις", "Em", "Na", "Pada", "Kl.", "在",
};

/* Labels inside "-----Original Message-----" style separators (lower case, substring match). */
static const char *const separator_vocabulary[] = {
	"original", "message", "forwarded", "reply", "nachricht", "ursprüngliche", "weitergeleitet", "antwort",
	"oprindelig", "meddelelse", "videresendt", "mensaje", "reenviado", "messaggio", "inoltrato",
	"bericht", "doorgestuurd", "oorspronkelijk", "mensagem", "encaminhad", "wiadomość", "oryginaln",
	"przekazan", "zpráva", "původní", "сообщение", "исходное", "пересылаемое", "повідомлення",
	"alkuperäinen", "viesti", "välitetty", "ursprungligt", "meddelande", "vidarebefordra", "opprinnelig",
	"melding", "mesaj", "transféré", "courriel", "eredeti", "üzenet", "ileti", "iletilen", "tin nhắn",
	"原始邮件", "原始郵件", "邮件原件", "转发", "轉寄", "전달된 메시지", "원본 메시지", "元のメッセージ", "転送",
};

/* Whole-line forward markers without dashes (lower case, the line must start with one). */
static const char *const forward_marker_lines[] = {
	"begin forwarded message:", "début du message réexpédié :", "début du message réexpédié:",
	"anfang der weitergeleiteten nachricht:", "inizio messaggio inoltrato:",
	"comienzo del mensaje reenviado:", "begin doorgestuurd bericht:", "início da mensagem reencaminhada:",
	"vidarebefordrat mejl:", "videresendt meddelelse:", "välitetty viesti alkaa:",
};

/* Mobile / client signatures: line prefixes (lower case). The rest of the line must be short. */
static const char *const mobile_signature_prefixes[] = {
	"sent from my ", "envoyé depuis ", "envoyé de mon ", "envoyé à partir de ", "von meinem ", "gesendet von ",
	"gesendet mit ", "verzonden met ", "verzonden vanaf ", "verstuurd vanaf ", "verstuurd met ",
	"sendt fra ", "skickat från ", "lähetetty ", "enviado desde ", "enviado do ", "enviado de mi ",
	"enviado de meu ", "enviada do ", "inviato da ", "inviato dal ", "wysłane z ", "wysłano z ",
	"odesláno z ", "odoslané z ", "отправлено с ", "отправлено из ", "надіслано з ", "poslano z ",
	"trimis de pe ", "elküldve ", "gönderildi", "从我的", "從我的", "发自我的", "發自我的", "寄自我的",
};

/* Client signatures that could also start a sentence ("Sent via FedEx ..."): they only count when
 * nothing but history or more signature follows. "Sent from <Product>" is handled the same way. */
static const char *const weak_signature_prefixes[] = {
	"sent via ", "sent with ", "sent using ", "sent on the go", "get outlook for ",
};

/* Mobile signatures written verb-last (lower case, the line must end with one). */
static const char *const mobile_signature_suffixes[] = {
	"から送信", "에서 보냄", "'dan gönderildi", "'umdan gönderildi", " gesendet", "发送", "傳送",
};

typedef enum {
	FIELD_NONE = 0,
	FIELD_FROM = 1 << 0,
	FIELD_DATE = 1 << 1, /* Sent / Date */
	FIELD_TO = 1 << 2,
	FIELD_CC = 1 << 3,
	FIELD_SUBJECT = 1 << 4,
	FIELD_REPLY_TO = 1 << 5,
} FIELD_KIND;

typedef struct {
	const char *label; /* lower case, without the colon */
	FIELD_KIND kind;
} FIELD_LABEL;

/* Header field labels of quoted message headers (Outlook, webmail, Apple Mail) in many languages. */
static const FIELD_LABEL header_field_labels[] = {
	/* English */
	{"from", FIELD_FROM}, {"sent", FIELD_DATE}, {"date", FIELD_DATE}, {"to", FIELD_TO}, {"cc", FIELD_CC},
	{"bcc", FIELD_CC}, {"subject", FIELD_SUBJECT}, {"reply-to", FIELD_REPLY_TO}, {"sent at", FIELD_DATE},
	/* German */
	{"von", FIELD_FROM}, {"gesendet", FIELD_DATE}, {"datum", FIELD_DATE}, {"an", FIELD_TO},
	{"kopie", FIELD_CC}, {"betreff", FIELD_SUBJECT}, {"antwort an", FIELD_REPLY_TO},
	/* French */
	{"de", FIELD_FROM}, {"envoyé", FIELD_DATE}, {"envoyé le", FIELD_DATE}, {"à", FIELD_TO}, {"a", FIELD_TO},
	{"copie", FIELD_CC}, {"copie à", FIELD_CC}, {"objet", FIELD_SUBJECT}, {"sujet", FIELD_SUBJECT},
	{"répondre à", FIELD_REPLY_TO},
	/* Spanish, Portuguese, Catalan */
	{"enviado", FIELD_DATE}, {"enviado el", FIELD_DATE}, {"enviada em", FIELD_DATE}, {"enviado em", FIELD_DATE},
	{"fecha", FIELD_DATE}, {"data", FIELD_DATE}, {"para", FIELD_TO}, {"asunto", FIELD_SUBJECT},
	{"assunto", FIELD_SUBJECT}, {"responder a", FIELD_REPLY_TO}, {"tema", FIELD_SUBJECT},
	/* Italian */
	{"da", FIELD_FROM}, {"inviato", FIELD_DATE}, {"oggetto", FIELD_SUBJECT}, {"risposta", FIELD_REPLY_TO},
	/* Dutch */
	{"van", FIELD_FROM}, {"verzonden", FIELD_DATE}, {"verstuurd", FIELD_DATE}, {"aan", FIELD_TO},
	{"onderwerp", FIELD_SUBJECT}, {"beantwoorden aan", FIELD_REPLY_TO},
	/* Swedish, Norwegian, Danish */
	{"från", FIELD_FROM}, {"skickat", FIELD_DATE}, {"till", FIELD_TO}, {"kopia", FIELD_CC},
	{"ämne", FIELD_SUBJECT}, {"fra", FIELD_FROM}, {"sendt", FIELD_DATE}, {"dato", FIELD_DATE},
	{"til", FIELD_TO}, {"kopi", FIELD_CC}, {"emne", FIELD_SUBJECT},
	/* Finnish */
	{"lähettäjä", FIELD_FROM}, {"lähetetty", FIELD_DATE}, {"päivämäärä", FIELD_DATE},
	{"vastaanottaja", FIELD_TO}, {"kopio", FIELD_CC}, {"aihe", FIELD_SUBJECT},
	/* Polish, Czech, Slovak */
	{"od", FIELD_FROM}, {"wysłano", FIELD_DATE}, {"wysłane", FIELD_DATE}, {"do", FIELD_TO},
	{"dw", FIELD_CC}, {"temat", FIELD_SUBJECT}, {"odesláno", FIELD_DATE}, {"komu", FIELD_TO},
	{"předmět", FIELD_SUBJECT}, {"odoslané", FIELD_DATE}, {"predmet", FIELD_SUBJECT},
	/* Russian, Ukrainian */
	{"от", FIELD_FROM}, {"отправлено", FIELD_DATE}, {"дата", FIELD_DATE}, {"кому", FIELD_TO},
	{"копия", FIELD_CC}, {"тема", FIELD_SUBJECT}, {"від", FIELD_FROM}, {"надіслано", FIELD_DATE},
	/* Turkish, Hungarian, Greek, Romanian */
	{"kimden", FIELD_FROM}, {"gönderildi", FIELD_DATE}, {"gönderilen", FIELD_DATE}, {"tarih", FIELD_DATE},
	{"kime", FIELD_TO}, {"bilgi", FIELD_CC}, {"konu", FIELD_SUBJECT}, {"feladó", FIELD_FROM},
	{"elküldve", FIELD_DATE}, {"dátum", FIELD_DATE}, {"címzett", FIELD_TO}, {"tárgy", FIELD_SUBJECT},
	{"από", FIELD_FROM}, {"στάλθηκε", FIELD_DATE}, {"προς", FIELD_TO}, {"θέμα", FIELD_SUBJECT},
	{"expeditor", FIELD_FROM}, {"trimis", FIELD_DATE}, {"către", FIELD_TO}, {"subiect", FIELD_SUBJECT},
	/* Vietnamese, Indonesian */
	{"từ", FIELD_FROM}, {"đã gửi", FIELD_DATE}, {"ngày", FIELD_DATE}, {"đến", FIELD_TO},
	{"chủ đề", FIELD_SUBJECT}, {"dari", FIELD_FROM}, {"dikirim", FIELD_DATE}, {"kepada", FIELD_TO},
	{"perihal", FIELD_SUBJECT}, {"subjek", FIELD_SUBJECT},
	/* Chinese, Japanese, Korean */
	{"发件人", FIELD_FROM}, {"发送时间", FIELD_DATE}, {"日期", FIELD_DATE}, {"收件人", FIELD_TO},
	{"抄送", FIELD_CC}, {"主题", FIELD_SUBJECT}, {"寄件者", FIELD_FROM}, {"寄件人", FIELD_FROM},
	{"傳送時間", FIELD_DATE}, {"收件者", FIELD_TO}, {"副本", FIELD_CC}, {"主旨", FIELD_SUBJECT},
	{"差出人", FIELD_FROM}, {"送信日時", FIELD_DATE}, {"日付", FIELD_DATE}, {"宛先", FIELD_TO},
	{"件名", FIELD_SUBJECT}, {"보낸 사람", FIELD_FROM}, {"보낸 날짜", FIELD_DATE}, {"날짜", FIELD_DATE},
	{"받는 사람", FIELD_TO}, {"참조", FIELD_CC}, {"제목", FIELD_SUBJECT},
};

/* ---------------------------------------------------------------------------------------- */
/* Per-line classification                                                                  */

/* line_at - line i of the input (without its terminator) */
static QUOTE_LINE
line_at(const QUOTE_CTX *c, gsize i)
{
	gsize from = c->start[i], to = c->start[i + 1] - 1; /* to: the terminator (or the final NUL) */
	if (c->buf[to] == '\n' && to > from && c->buf[to - 1] == '\r')
		to--;
	QUOTE_LINE l = {c->buf + from, to - from};
	return l;
}

/* line_lower - lower-case copy of line i (from a small cache; valid until the next call for another
 * line), NULL when the line is too long to matter */
static const char *
line_lower(QUOTE_CTX *c, gsize i)
{
	QUOTE_LINE l = line_at(c, i);
	if (l.len > ATTR_MAX_LINE_BYTES)
		return NULL;
	LOWER_SLOT *slot = &c->lower[i % LOWER_CACHE_SLOTS];
	if (slot->line == i)
		return slot->text->str;
	g_string_truncate(slot->text, 0);
	gboolean ascii = TRUE;
	for (gsize k = 0; k < l.len && ascii; k++)
		ascii = (unsigned char)l.s[k] < 0x80;
	if (ascii) {
		g_string_append_len(slot->text, l.s, (gssize)l.len);
		g_string_ascii_down(slot->text);
	} else {
		char *tmp = g_utf8_strdown(l.s, (gssize)l.len);
		g_string_append(slot->text, tmp);
		g_free(tmp);
	}
	slot->line = i;
	return slot->text->str;
}

/* line_flags_of - LINE_BLANK for nothing but blank characters, LINE_QUOTED for a '>' after indentation */
static guint8
line_flags_of(const QUOTE_LINE *l)
{
	const char *s = l->s;
	gsize len = l->len;
	span_trim(&s, &len);
	if (len == 0)
		return LINE_BLANK;
	return s[0] == '>' ? LINE_QUOTED : 0;
}

/* line_is_blank - nothing but blank characters */
static gboolean
line_is_blank(const QUOTE_CTX *c, gsize i)
{
	return (c->flags[i] & LINE_BLANK) != 0;
}

/* line_is_quoted - starts (after indentation) with '>' */
static gboolean
line_is_quoted(const QUOTE_CTX *c, gsize i)
{
	return (c->flags[i] & LINE_QUOTED) != 0;
}

/* line_facts - LINE_HAS_ADDRESS / LINE_HAS_DATE of line i, computed once */
static guint8
line_facts(QUOTE_CTX *c, gsize i)
{
	if ((c->flags[i] & LINE_FACTS_KNOWN) == 0) {
		const QUOTE_LINE l = line_at(c, i);
		guint8 f = LINE_FACTS_KNOWN;
		if (span_has_address(l.s, l.len))
			f |= LINE_HAS_ADDRESS;
		if (span_has_date_or_time(l.s, l.len))
			f |= LINE_HAS_DATE;
		c->flags[i] |= f;
	}
	return c->flags[i];
}

/* line_is_rule - a horizontal rule: only -_=*#~+ characters (two or more), or Gmail's lone U+1427 */
static gboolean
line_is_rule(const QUOTE_CTX *c, gsize i)
{
	QUOTE_LINE line = line_at(c, i);
	const char *s = line.s;
	gsize len = line.len;
	span_trim(&s, &len);
	if (len == 0)
		return FALSE;
	if (len == 3 && memcmp(s, "\xE1\x90\xA7", 3) == 0)
		return TRUE;
	if (len < 2)
		return FALSE;
	for (gsize k = 0; k < len; k++)
		if (strchr("-_=*#~+", s[k]) == NULL)
			return FALSE;
	return TRUE;
}

/* line_is_signature_delimiter - "-- " (RFC 3676) or "--", or a long underscore rule (Outlook, list footers) */
static gboolean
line_is_signature_delimiter(const QUOTE_CTX *c, gsize i)
{
	QUOTE_LINE line = line_at(c, i);
	const char *s = line.s;
	gsize len = line.len;
	span_trim(&s, &len);
	if (len == 2 && s[0] == '-' && s[1] == '-')
		return TRUE;
	if (len < 5)
		return FALSE;
	for (gsize k = 0; k < len; k++)
		if (s[k] != '_')
			return FALSE;
	return TRUE;
}

/* rest_is_short_signature - after a mobile-signature prefix: a few words, no comma (so not a sentence) */
static gboolean
rest_is_short_signature(const char *rest)
{
	return strchr(rest, ',') == NULL && span_count_words(rest, strlen(rest)) <= 6;
}

/* mobile_signature_edges - bytes that can open (first) or close (last) a mobile signature line, built once */
static const guint8 *
mobile_signature_edges(void)
{
	static gsize once = 0;
	static guint8 edges[256]; /* bit 1: first byte of a prefix, bit 2: last byte of a suffix */
	if (g_once_init_enter(&once)) {
		for (gsize k = 0; k < G_N_ELEMENTS(mobile_signature_prefixes); k++)
			edges[(unsigned char)mobile_signature_prefixes[k][0]] |= 1;
		edges[(unsigned char)'s'] |= 1; /* "sent from <Product>" */
		for (gsize k = 0; k < G_N_ELEMENTS(weak_signature_prefixes); k++)
			edges[(unsigned char)weak_signature_prefixes[k][0]] |= 1;
		for (gsize k = 0; k < G_N_ELEMENTS(mobile_signature_suffixes); k++) {
			const char *sfx = mobile_signature_suffixes[k];
			edges[(unsigned char)sfx[strlen(sfx) - 1]] |= 2;
		}
		g_once_init_leave(&once, 1);
	}
	return edges;
}

typedef enum { SIG_NONE, SIG_STRONG, SIG_WEAK } SIG_KIND;

/* mobile_signature_kind - "Sent from my iPhone", "Envoyé depuis mon iPhone", "iPhoneから送信" (strong);
 * "Sent from Mail for Windows 10", "Sent via BlackBerry", "Get Outlook for iOS" (weak) */
static SIG_KIND
mobile_signature_kind(QUOTE_CTX *c, gsize i)
{
	QUOTE_LINE line = line_at(c, i);
	if (line.len > 120 || span_count_words(line.s, line.len) > 10)
		return SIG_NONE; /* cheap exit: signatures are short */
	const char *lower = line_lower(c, i);
	if (lower == NULL)
		return SIG_NONE;
	const char *s = lower;
	gsize len = strlen(lower);
	span_trim(&s, &len);
	const guint8 *edges = mobile_signature_edges();
	if (len == 0 || ((edges[(unsigned char)s[0]] & 1) == 0 && (edges[(unsigned char)s[len - 1]] & 2) == 0))
		return SIG_NONE; /* cheap exit: cannot start or end like a signature */
	char *t = g_strndup(s, len);
	SIG_KIND kind = SIG_NONE;
	for (gsize k = 0; k < G_N_ELEMENTS(mobile_signature_prefixes) && kind == SIG_NONE; k++)
		if (t[0] == mobile_signature_prefixes[k][0] && g_str_has_prefix(t, mobile_signature_prefixes[k]) &&
		    rest_is_short_signature(t + strlen(mobile_signature_prefixes[k])))
			kind = SIG_STRONG;
	for (gsize k = 0; k < G_N_ELEMENTS(mobile_signature_suffixes) && kind == SIG_NONE; k++)
		if (g_str_has_suffix(t, mobile_signature_suffixes[k]) && span_count_words(t, len) <= 5)
			kind = SIG_STRONG;
	for (gsize k = 0; k < G_N_ELEMENTS(weak_signature_prefixes) && kind == SIG_NONE; k++)
		if (g_str_has_prefix(t, weak_signature_prefixes[k]) &&
		    rest_is_short_signature(t + strlen(weak_signature_prefixes[k])))
			kind = SIG_WEAK;
	if (kind == SIG_NONE && g_str_has_prefix(t, "sent from ")) {
		/* "Sent from Mail for Windows 10", "Sent from Outlook Mobile": a product name follows */
		QUOTE_LINE orig_line = line_at(c, i);
		const char *orig = orig_line.s;
		gsize olen = orig_line.len;
		span_trim(&orig, &olen);
		char next = olen > 10 ? orig[10] : '\0';
		if ((g_ascii_isupper(next) || next == '[') && rest_is_short_signature(t + 10))
			kind = SIG_WEAK;
	}
	g_free(t);
	return kind;
}

/* line_is_signoff_dash - "-Abhishek Kona", "-A": a short sign-off glued to a dash */
static gboolean
line_is_signoff_dash(const QUOTE_CTX *c, gsize i)
{
	QUOTE_LINE line = line_at(c, i);
	const char *s = line.s;
	gsize len = line.len;
	span_trim(&s, &len);
	return len >= 2 && len <= 40 && s[0] == '-' && char_is_letter_at(s + 1, s + len) &&
	       span_count_words(s, len) <= 3;
}

/* line_is_separator_marker - "-----Original Message-----", "---------- Forwarded message ---------",
 * "*-------- Original Message --------*", "Begin forwarded message:" and translations */
static gboolean
line_is_separator_marker(QUOTE_CTX *c, gsize i)
{
	const QUOTE_LINE l = line_at(c, i);
	if (g_strstr_len(l.s, (gssize)l.len, "--") == NULL && memchr(l.s, ':', l.len) == NULL)
		return FALSE; /* cheap exit: neither dashes nor a colon */
	const char *lower = line_lower(c, i);
	if (lower == NULL)
		return FALSE;
	const char *s = lower;
	gsize len = strlen(lower);
	span_trim(&s, &len);
	for (gsize k = 0; k < G_N_ELEMENTS(forward_marker_lines); k++)
		if (span_starts_with(s, len, forward_marker_lines[k]))
			return TRUE;
	const char *end = s + len;
	while (s < end && (*s == '*' || *s == '_' || *s == ' '))
		s++;
	while (end > s && (end[-1] == '*' || end[-1] == '_' || end[-1] == ' '))
		end--;
	guint lead = 0, trail = 0;
	while (s < end && *s == '-') {
		s++;
		lead++;
	}
	while (end > s && end[-1] == '-') {
		end--;
		trail++;
	}
	if (lead < 2 && trail < 2)
		return FALSE;
	gsize label_len = (gsize)(end - s);
	span_trim(&s, &label_len);
	if (label_len == 0 || !span_has_letter(s, label_len) || span_count_words(s, label_len) > 5)
		return FALSE;
	char *label = g_strndup(s, label_len);
	gboolean hit = FALSE;
	if (strstr(label, "pgp") == NULL)
		for (gsize k = 0; k < G_N_ELEMENTS(separator_vocabulary) && !hit; k++)
			hit = strstr(label, separator_vocabulary[k]) != NULL;
	g_free(label);
	return hit;
}

/* header_field_table - label -> FIELD_KIND, built once from header_field_labels (thread-safe) */
static GHashTable *
header_field_table(void)
{
	static gsize once = 0;
	static GHashTable *table = NULL;
	if (g_once_init_enter(&once)) {
		GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
		for (gsize k = 0; k < G_N_ELEMENTS(header_field_labels); k++)
			g_hash_table_insert(t, (gpointer)header_field_labels[k].label,
			                    GUINT_TO_POINTER((guint)header_field_labels[k].kind));
		table = t;
		g_once_init_leave(&once, 1);
	}
	return table;
}

/* header_field_kind - which quoted-header field ("From:", "*Envoyé :*", "发件人:") line i is, if any */
static FIELD_KIND
header_field_kind_compute(QUOTE_CTX *c, gsize i)
{
	const QUOTE_LINE l = line_at(c, i);
	gsize head = l.len < 64 ? l.len : 64;
	if (memchr(l.s, ':', head) == NULL && g_strstr_len(l.s, (gssize)head, "\xEF\xBC\x9A") == NULL)
		return FIELD_NONE; /* cheap exit: no colon near the start */
	const char *lower = line_lower(c, i);
	if (lower == NULL)
		return FIELD_NONE;
	const char *s = lower;
	gsize len = strlen(lower);
	span_trim(&s, &len);
	while (len > 0 && *s == '*') {
		s++;
		len--;
	}
	/* the label ends at the first ASCII or full-width colon, within a short distance */
	gsize limit = len < 40 ? len : 40, colon = 0;
	gboolean found = FALSE;
	for (gsize k = 0; k < limit; k++) {
		if (s[k] == ':') {
			colon = k;
			found = TRUE;
			break;
		}
		if (k + 3 <= len && memcmp(s + k, "\xEF\xBC\x9A", 3) == 0) {
			colon = k;
			found = TRUE;
			break;
		}
	}
	if (!found || colon == 0)
		return FIELD_NONE;
	const char *label = s;
	gsize label_len = colon;
	while (label_len > 0 && label[label_len - 1] == '*')
		label_len--;
	span_trim(&label, &label_len);
	if (label_len == 0 || label_len > 32)
		return FIELD_NONE;
	char key[33];
	memcpy(key, label, label_len);
	key[label_len] = '\0';
	return (FIELD_KIND)GPOINTER_TO_UINT(g_hash_table_lookup(header_field_table(), key));
}

/* header_field_kind - header_field_kind_compute() of line i, computed once */
static FIELD_KIND
header_field_kind(QUOTE_CTX *c, gsize i)
{
	if ((c->flags[i] & LINE_FIELD_KNOWN) == 0) {
		c->field_kind[i] = (guint8)header_field_kind_compute(c, i);
		c->flags[i] |= LINE_FIELD_KNOWN;
	}
	return (FIELD_KIND)c->field_kind[i];
}

/* header_block_end - if line i starts a quoted header block, the index after its last field, else 0.
 * A block is a run of field lines (at most two wrapped lines between fields) with two or more different
 * fields, one of them From or Sent/Date; it must look like a message header and not like a form
 * ("From: Berlin / To: Paris"): an address or a Subject field somewhere, and an address in From or a
 * date/time in Sent/Date. */
static gsize
header_block_end(QUOTE_CTX *c, gsize i)
{
	FIELD_KIND first = header_field_kind(c, i);
	if (first == FIELD_NONE)
		return 0;
	guint mask = 0, kinds = 0, gap = 0;
	gboolean any_addr = FALSE, from_addr = FALSE, dated = FALSE;
	gsize last = i;
	for (gsize j = i; j < c->n && j < i + HEADER_SCAN_LINES; j++) {
		if (line_is_blank(c, j) || line_is_quoted(c, j))
			break;
		gboolean addr = (line_facts(c, j) & LINE_HAS_ADDRESS) != 0;
		FIELD_KIND k = j == i ? first : header_field_kind(c, j);
		if (k == FIELD_NONE) {
			if (++gap > 2)
				break;
			any_addr = any_addr || addr;
			from_addr = from_addr || (addr && (mask & FIELD_FROM) != 0 && last + 1 == j);
			continue;
		}
		gap = 0;
		last = j;
		if ((mask & k) == 0)
			kinds++;
		mask |= k;
		any_addr = any_addr || addr;
		from_addr = from_addr || (k == FIELD_FROM && addr);
		dated = dated || (k == FIELD_DATE && (line_facts(c, j) & LINE_HAS_DATE) != 0);
	}
	if (kinds < 2 || (mask & (FIELD_FROM | FIELD_DATE)) == 0)
		return 0;
	if (!any_addr && (mask & FIELD_SUBJECT) == 0)
		return 0;
	if (!from_addr && !dated)
		return 0;
	return last + 1;
}

/* line_is_header_label_line - "Message du : 12/12/2016 13:20": a short label, a colon and a dated value;
 * such a line directly above a header block belongs to it */
static gboolean
line_is_header_label_line(const QUOTE_CTX *c, gsize i)
{
	QUOTE_LINE line = line_at(c, i);
	const char *s = line.s;
	gsize len = line.len;
	span_trim(&s, &len);
	const char *colon = memchr(s, ':', len < 32 ? len : 32);
	if (colon == NULL || colon == s)
		return FALSE;
	gsize label_len = (gsize)(colon - s);
	if (span_count_words(s, label_len) > 3)
		return FALSE;
	return span_has_date_or_time(colon + 1, (gsize)(s + len - colon - 1));
}

/* ---------------------------------------------------------------------------------------- */
/* Attribution lines ("On ..., X wrote:")                                                    */

/* find_last_verb - position (in lower) of the attribution verb that ends last, or -1; *vlen its length.
 * Only occurrences starting at or after byte offset from are considered. */
static gssize
find_last_verb(const char *lower, gsize from, gsize *vlen)
{
	const char *end = lower + strlen(lower);
	gssize best = -1;
	gsize best_end = 0;
	for (gsize k = 0; k < G_N_ELEMENTS(attribution_verbs); k++) {
		const VERB *v = &attribution_verbs[k];
		gsize wl = strlen(v->word);
		for (const char *p = strstr(lower + from, v->word); p != NULL; p = strstr(p + 1, v->word)) {
			if (v->needs_bound && (char_is_letter_before(lower, p) || char_is_letter_at(p + wl, end)))
				continue;
			gsize e = (gsize)(p - lower) + wl;
			if (e > best_end || (e == best_end && wl > *vlen)) {
				best = p - lower;
				best_end = e;
				*vlen = wl;
			}
		}
	}
	return best;
}

/* span_starts_like_attribution - begins with a digit or with a starter word ("On ", "Am ", "W dniu ") */
static gboolean
span_starts_like_attribution(const char *s, gsize len)
{
	while (len > 0 && (*s == '-' || *s == '*' || *s == ' ')) {
		s++;
		len--;
	}
	if (len == 0)
		return FALSE;
	if (g_ascii_isdigit(*s))
		return TRUE;
	for (gsize k = 0; k < G_N_ELEMENTS(attribution_starters); k++) {
		const char *w = attribution_starters[k];
		gsize wl = strlen(w);
		if (len > wl && memcmp(s, w, wl) == 0 && (s[wl] == ' ' || (unsigned char)w[0] >= 0xE0))
			return TRUE;
	}
	return FALSE;
}

/* text_is_attribution - decide whether the (joined) text is an attribution line */
static gboolean
text_is_attribution(const char *text, gboolean single_line, gboolean followed_by_quote)
{
	const char *s = text;
	gsize len = strlen(text);
	span_trim(&s, &len);
	guint lead_dashes = 0, trail_dashes = 0;
	while (len > 0 && (*s == '-' || *s == '*' || *s == ' ')) {
		lead_dashes += *s == '-';
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == '-' || s[len - 1] == '*' || s[len - 1] == ' '))
		trail_dashes += s[--len] == '-';
	span_trim(&s, &len);
	if (len == 0 || len > ATTR_MAX_JOIN_BYTES)
		return FALSE;
	gboolean dash_framed = single_line && (lead_dashes >= 2 || trail_dashes >= 2);
	gboolean ends_colon = span_ends_with(s, len, ":") || span_ends_with(s, len, "\xEF\xBC\x9A");
	gboolean year_first = span_starts_with_year_date(s, len);
	if ((!dash_framed && !ends_colon && !year_first) || !span_has_letter(s, len))
		return FALSE; /* cheap exit for ordinary lines */
	guint words = span_count_words(s, len);
	if (words > ATTR_MAX_WORDS)
		return FALSE;
	gboolean has_date = span_has_date_or_time(s, len);
	gboolean has_addr = span_has_address(s, len);

	/* lower-case copy: ASCII into a stack buffer, anything else through GLib's Unicode tables */
	char ascii_buf[ATTR_MAX_JOIN_BYTES + 1];
	char *lower = ascii_buf, *lower_owned = NULL;
	for (gsize k = 0; k < len && lower != NULL; k++) {
		if ((unsigned char)s[k] >= 0x80)
			lower = NULL;
		else
			ascii_buf[k] = g_ascii_tolower(s[k]);
	}
	if (lower != NULL)
		ascii_buf[len] = '\0';
	else
		lower = lower_owned = g_utf8_strdown(s, (gssize)len);
	gsize vlen = 0;
	/* the verb search is the expensive part: anywhere only when a rule below can use a verb in the
	 * middle (dated / addressed lines), near the end when only a final verb counts, else not at all */
	gssize vpos = -1;
	if (ends_colon && (has_date || has_addr))
		vpos = find_last_verb(lower, 0, &vlen);
	else if (dash_framed || (ends_colon && followed_by_quote && words <= 6))
		vpos = find_last_verb(lower, len > 48 ? len - 48 : 0, &vlen);
	gboolean result = FALSE;
	if (vpos >= 0) {
		const char *rest = lower + vpos + vlen;
		gsize rest_len = strlen(rest);
		while (rest_len > 0 && (rest[rest_len - 1] == ':' || rest[rest_len - 1] == ' '))
			rest_len--;
		if (span_ends_with(rest, rest_len, "\xEF\xBC\x9A"))
			rest_len -= 3;
		span_trim(&rest, &rest_len);
		gboolean verb_at_end = rest_len == 0;
		if (dash_framed && verb_at_end)
			result = TRUE;
		else if (ends_colon && verb_at_end && (has_date || has_addr))
			result = TRUE;
		else if (ends_colon && !verb_at_end && span_count_words(rest, rest_len) <= 10 &&
		         (span_has_address(rest, rest_len) || span_has_date_or_time(rest, rest_len)) &&
		         (span_has_address(lower, (gsize)vpos) || span_has_date_or_time(lower, (gsize)vpos)) &&
		         (has_addr || span_starts_like_attribution(s, len)))
			result = TRUE; /* "Op <date> schreef <name> <addr>:", "<name> <addr> schrieb am <date>:" */
		else if (ends_colon && !verb_at_end && span_has_date_or_time(lower, (gsize)vpos) &&
		         span_starts_like_attribution(s, len) && span_count_words(rest, rest_len) <= 4)
			result = TRUE; /* "Am <date> um <time> schrieb <name>:" */
		else if (ends_colon && verb_at_end && followed_by_quote && words <= 6)
			result = TRUE; /* "John Smith wrote:" directly above a quote */
	}
	if (!result && ends_colon && has_date && has_addr && words <= 20) {
		/* Gmail without a verb: "пн, 6 мая 2019 г. в 10:30, Name <addr>:", "2019年5月6日(月) 10:30 Name <addr>:" */
		gsize body = len - (span_ends_with(s, len, ":") ? 1 : 3);
		body -= trailing_space_len(s, s + body);
		if (body > 0 && s[body - 1] == '>')
			result = TRUE;
	}
	if (!result && year_first && words <= 12) {
		/* Gmail: "2014-03-20 8:48 GMT+01:00 Name <addr>:" / "2011/4/7 Name <addr>" / "<date> GMT+01:00 Name"
		 * (a log line "2016-05-01 10:30 ERROR ...:" has neither the address nor the zone) */
		gsize body = len;
		if (ends_colon)
			body -= span_ends_with(s, len, ":") ? 1 : 3;
		body -= trailing_space_len(s, s + body);
		if (body > 0 && s[body - 1] == '>')
			result = TRUE;
		else if (single_line && (strstr(lower, "gmt+") != NULL || strstr(lower, "gmt-") != NULL))
			result = TRUE;
	}
	g_free(lower_owned);
	return result;
}

/* next_nonblank - index of the first non-blank line at or after i (n if none) */
static gsize
next_nonblank(const QUOTE_CTX *c, gsize i)
{
	while (i < c->n && line_is_blank(c, i))
		i++;
	return i;
}

/* line_has_evidence - date/time or address on line i */
static gboolean
line_has_evidence(QUOTE_CTX *c, gsize i)
{
	return (line_facts(c, i) & (LINE_HAS_ADDRESS | LINE_HAS_DATE)) != 0;
}

/* attribution_span - if an attribution starts at line i (or somewhere on it, see
 * find_inline_attribution_start), return TRUE with *end_r = the index after its last line */
static gboolean
attribution_span(QUOTE_CTX *c, gsize i, gsize *end_r)
{
	const QUOTE_LINE first = line_at(c, i);
	if (first.len > ATTR_MAX_LINE_BYTES || line_is_blank(c, i) || line_is_quoted(c, i))
		return FALSE;
	gboolean evidence = line_has_evidence(c, i);
	gboolean strong = evidence && span_starts_like_attribution(first.s, first.len);
	GString *joined = c->scratch;
	g_string_truncate(joined, 0);
	gboolean found = FALSE;
	guint blanks_crossed = 0;
	gsize j = i;
	for (guint phys = 0; phys < ATTR_MAX_PHYS_LINES; phys++) {
		QUOTE_LINE line = line_at(c, j);
		const char *s = line.s;
		gsize len = line.len;
		span_trim(&s, &len);
		if (joined->len > 0)
			g_string_append_c(joined, ' ');
		g_string_append_len(joined, s, (gssize)len);
		if (joined->len > ATTR_MAX_JOIN_BYTES)
			break;
		gsize after = next_nonblank(c, j + 1);
		gboolean quote_follows = after < c->n && line_is_quoted(c, after);
		if (text_is_attribution(joined->str, phys == 0, quote_follows)) {
			*end_r = j + 1;
			found = TRUE;
			break;
		}
		/* wrapped attributions only when the first line already looks like one */
		if (!evidence)
			break;
		j++;
		while (j < c->n && line_is_blank(c, j) && strong && blanks_crossed < 2) {
			j++;
			blanks_crossed++;
		}
		if (j >= c->n || line_is_blank(c, j) || line_at(c, j).len > ATTR_MAX_LINE_BYTES)
			break;
	}
	return found;
}

/* find_inline_attribution_start - "reply On Wed, ... wrote:": byte offset where an attribution that shares
 * its line with reply text begins (0 if the line begins with it) */
static gsize
find_inline_attribution_start(QUOTE_CTX *c, gsize i, gsize end)
{
	const QUOTE_LINE l = line_at(c, i);
	if (span_starts_like_attribution(l.s, l.len))
		return 0;
	for (gsize off = 1; off < l.len; off++) {
		char before = l.s[off - 1];
		if (before != ' ' && before != '-')
			continue;
		if (!span_starts_like_attribution(l.s + off, l.len - off) || g_ascii_isdigit(l.s[off]))
			continue;
		GString *joined = c->scratch;
		g_string_truncate(joined, 0);
		g_string_append_len(joined, l.s + off, (gssize)(l.len - off));
		for (gsize j = i + 1; j < end; j++) {
			g_string_append_c(joined, ' ');
			QUOTE_LINE next = line_at(c, j);
			g_string_append_len(joined, next.s, (gssize)next.len);
		}
		gboolean ok = span_has_date_or_time(joined->str, joined->len) &&
		              text_is_attribution(joined->str, end == i + 1, FALSE);
		if (ok)
			return off;
	}
	return 0;
}

/* attribution_at - attribution at line i: *end_r = the index after it, *prefix_r = bytes of reply text in
 * front of it on line i. A wrapped candidate loses to one starting on the next line when that line begins
 * like an attribution and line i does not ("Fixed on 2014-01-02.\nOn ... wrote:") */
static gboolean
attribution_at(QUOTE_CTX *c, gsize i, gsize *end_r, gsize *prefix_r)
{
	gsize end = 0;
	if (!attribution_span(c, i, &end))
		return FALSE;
	QUOTE_LINE here = line_at(c, i);
	if (end > i + 1 && i + 1 < c->n && !span_starts_like_attribution(here.s, here.len)) {
		gsize end2 = 0;
		QUOTE_LINE next = line_at(c, i + 1);
		if (span_starts_like_attribution(next.s, next.len) &&
		    attribution_span(c, i + 1, &end2) && end2 == end)
			return FALSE;
	}
	*end_r = end;
	*prefix_r = find_inline_attribution_start(c, i, end);
	return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Quote blocks                                                                             */

/* quote_block_end - index after the quote block starting at quoted line i: '>' lines, blank lines between
 * them, and up to two unquoted lines squeezed between '>' lines (a quoted line broken by a wrap) */
static gsize
quote_block_end(const QUOTE_CTX *c, gsize i)
{
	gsize last = i, j = i + 1;
	while (j < c->n) {
		if (line_is_quoted(c, j)) {
			last = j++;
			continue;
		}
		if (line_is_blank(c, j)) {
			j++;
			continue;
		}
		if (j == last + 1) {
			gsize k = j;
			while (k < c->n && k < j + 2 && !line_is_quoted(c, k) && !line_is_blank(c, k))
				k++;
			if (k < c->n && line_is_quoted(c, k)) {
				j = k;
				continue;
			}
		}
		break;
	}
	return last + 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Output                                                                                   */

/* out_keep - line i is in the result as kind */
static void
out_keep(QUOTE_CTX *c, gsize i, OUT_KIND kind)
{
	c->out[i] = (guint8)kind;
	c->out_tail = i + 1;
}

/* out_keep_prefix - the first len bytes of line i are in the result, as text */
static void
out_keep_prefix(QUOTE_CTX *c, gsize i, gsize len)
{
	out_keep(c, i, OUT_TEXT);
	c->prefix_line = i;
	c->prefix_len = len;
}

/* out_last - index of the last line in the result, or G_MAXSIZE */
static gsize
out_last(const QUOTE_CTX *c)
{
	for (gsize j = c->out_tail; j > 0; j--)
		if (c->out[j - 1] != OUT_NONE)
			return j - 1;
	return G_MAXSIZE;
}

/* out_pop_trailing - drop blank lines, rules and (when with_quotes) quoted lines from the end */
static void
out_pop_trailing(QUOTE_CTX *c, gboolean with_quotes)
{
	gsize j = c->out_tail;
	while (j > 0) {
		OUT_KIND k = (OUT_KIND)c->out[j - 1];
		if (k == OUT_NONE || k == OUT_BLANK || k == OUT_RULE || (with_quotes && k == OUT_QUOTE))
			c->out[--j] = OUT_NONE;
		else
			break;
	}
	c->out_tail = j;
}

/* out_has_text - does the result hold any unquoted text */
static gboolean
out_has_text(const QUOTE_CTX *c)
{
	for (gsize j = 0; j < c->out_tail; j++)
		if (c->out[j] == OUT_TEXT)
			return TRUE;
	return FALSE;
}

/* out_render - the result lines joined with LF, each without trailing blanks (incl. NBSP, zero-width
 * space), no blank lines before or after */
static char *
out_render(const QUOTE_CTX *c)
{
	GString *r = g_string_new(NULL);
	gboolean started = FALSE;
	for (gsize j = 0; j < c->n; j++) {
		if (c->out[j] == OUT_NONE)
			continue;
		QUOTE_LINE l = line_at(c, j);
		gsize len = j == c->prefix_line ? c->prefix_len : l.len;
		len -= trailing_space_len(l.s, l.s + len);
		if (!started && len == 0)
			continue;
		if (started)
			g_string_append_c(r, '\n');
		g_string_append_len(r, l.s, (gssize)len);
		started = TRUE;
	}
	while (r->len > 0 && r->str[r->len - 1] == '\n')
		g_string_truncate(r, r->len - 1);
	return g_string_free(r, FALSE);
}

/* split_lines - cut the buffer into lines at LF, CRLF or lone CR and set up the per-line state */
static void
split_lines(QUOTE_CTX *c, const char *buf, gsize len)
{
	gsize n = 0;
	for (gsize k = 0; k < len; k++)
		if (buf[k] == '\n' || (buf[k] == '\r' && (k + 1 >= len || buf[k + 1] != '\n')))
			n++;
	if (len > 0 && buf[len - 1] != '\n' && buf[len - 1] != '\r')
		n++; /* last line without a terminator */
	c->buf = buf;
	c->n = n;
	c->start = g_new(gsize, n + 1);
	gsize line = 0, from = 0;
	for (gsize k = 0; k < len; k++) {
		gboolean ends = buf[k] == '\n' || (buf[k] == '\r' && (k + 1 >= len || buf[k + 1] != '\n'));
		if (ends) {
			c->start[line++] = from;
			from = k + 1;
		}
	}
	if (line < n)
		c->start[line++] = from;
	c->start[n] = from < len ? len + 1 : from; /* one past the last terminator (or the final NUL) */
	c->flags = g_new0(guint8, n + 1);
	c->field_kind = g_new0(guint8, n + 1);
	c->out = g_new0(guint8, n + 1);
	c->out_tail = 0;
	c->prefix_line = G_MAXSIZE;
	c->prefix_len = 0;
	for (gsize k = 0; k < LOWER_CACHE_SLOTS; k++) {
		c->lower[k].line = G_MAXSIZE;
		c->lower[k].text = g_string_new(NULL);
	}
	c->scratch = g_string_sized_new(ATTR_MAX_JOIN_BYTES + 64);
	for (gsize i = 0; i < n; i++) {
		QUOTE_LINE l = line_at(c, i);
		c->flags[i] = line_flags_of(&l);
	}
}

/* free_lines - release what split_lines() set up */
static void
free_lines(QUOTE_CTX *c)
{
	for (gsize k = 0; k < LOWER_CACHE_SLOTS; k++)
		g_string_free(c->lower[k].text, TRUE);
	g_string_free(c->scratch, TRUE);
	g_free(c->start);
	g_free(c->flags);
	g_free(c->field_kind);
	g_free(c->out);
}

/* ---------------------------------------------------------------------------------------- */
/* The scan                                                                                 */

/* only_history_follows - from line i on, after blank lines: the end, a quote, a rule, a signature,
 * a separator, a header block or an attribution (so a sign-off-like line above it ends the reply) */
static gboolean
only_history_follows(QUOTE_CTX *c, gsize i)
{
	gsize k = next_nonblank(c, i);
	gsize end, prefix;
	return k >= c->n || line_is_quoted(c, k) || line_is_rule(c, k) || line_is_signature_delimiter(c, k) ||
	       mobile_signature_kind(c, k) != SIG_NONE || line_is_separator_marker(c, k) ||
	       header_block_end(c, k) > 0 || attribution_at(c, k, &end, &prefix);
}

/* strip_lines - fill out with the new text of the reply held in c */
static void
strip_lines(QUOTE_CTX *c)
{
	gboolean have_content = FALSE; /* text or kept quotes pushed so far */
	gsize i = 0;
	while (i < c->n) {
		if (line_is_blank(c, i)) {
			out_keep(c, i++, OUT_BLANK);
			continue;
		}
		if (line_is_quoted(c, i)) {
			gsize e = quote_block_end(c, i);
			for (; i < e; i++)
				out_keep(c, i, line_is_blank(c, i) ? OUT_BLANK : OUT_QUOTE);
			have_content = TRUE;
			continue;
		}
		if (have_content && line_is_signature_delimiter(c, i))
			break;
		if (have_content) {
			SIG_KIND sig = mobile_signature_kind(c, i);
			if (sig == SIG_STRONG || (sig == SIG_WEAK && only_history_follows(c, i + 1)))
				break;
		}
		if (have_content && line_is_signoff_dash(c, i) && only_history_follows(c, i + 1))
			break;

		gboolean marker = line_is_separator_marker(c, i);
		gsize block_end = header_block_end(c, i);
		if (marker || block_end > 0) {
			if (have_content) {
				/* a dated label line glued above the header block belongs to it */
				out_pop_trailing(c, FALSE);
				gsize last = out_last(c);
				if (!marker && last != G_MAXSIZE && last + 1 == i && c->out[last] == OUT_TEXT &&
				    line_is_header_label_line(c, last)) {
					c->out[last] = OUT_NONE;
					c->out_tail = last;
				}
				break;
			}
			/* at the top (a forward, or a reply typed below the header): skip the header part */
			gsize e = marker ? i + 1 : block_end;
			if (marker) {
				gsize k = next_nonblank(c, e);
				gsize be = k < c->n ? header_block_end(c, k) : 0;
				if (be > 0)
					e = be;
			}
			i = next_nonblank(c, e);
			continue;
		}

		gsize attr_end = 0, prefix = 0;
		if (attribution_at(c, i, &attr_end, &prefix)) {
			if (prefix > 0) {
				const char *s = line_at(c, i).s;
				gsize plen = prefix;
				while (plen > 0 && (s[plen - 1] == '-' || s[plen - 1] == ' '))
					plen--;
				if (plen > 0) {
					out_keep_prefix(c, i, plen);
					have_content = TRUE;
				}
			}
			gsize k = next_nonblank(c, attr_end);
			if (k < c->n && line_is_quoted(c, k)) {
				/* the attribution, the quote under it and the blank lines after it go;
				 * the reply may continue below (bottom-posting, answers between quotes) */
				i = next_nonblank(c, quote_block_end(c, k));
				continue;
			}
			if (have_content)
				break; /* unquoted history follows */
			i = k;     /* attribution at the top: the reply is below it */
			continue;
		}

		gboolean rule = line_is_rule(c, i);
		out_keep(c, i++, rule ? OUT_RULE : OUT_TEXT);
		have_content = have_content || !rule;
	}
	out_pop_trailing(c, TRUE);
}

char *
cd_quote_strip(const char *text)
{
	if (text == NULL)
		text = "";
	char *valid = NULL;
	gsize len = strlen(text);
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		valid = g_utf8_make_valid(text, (gssize)len);
		text = valid;
		len = strlen(text);
	}

	QUOTE_CTX c;
	split_lines(&c, text, len);
	strip_lines(&c);
	if (!out_has_text(&c)) {
		/* everything was quoted (or nothing was there): give back the whole input, trimmed */
		memset(c.out, OUT_TEXT, c.n);
		c.out_tail = c.n;
		c.prefix_line = G_MAXSIZE;
	}
	char *result = out_render(&c);
	free_lines(&c);
	g_free(valid);
	return result;
}
