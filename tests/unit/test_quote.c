/* test_quote.c - unit tests for cd_quote_strip() (core/quote.c).
 *
 * One test per behaviour: each attribution family, separators, forwards, Outlook header blocks,
 * '>' quotes, signatures, line ends, nothing-quoted / all-quoted input and a 10 MB body. */
#include "quote.h"
#include "testutil.h"

#include <string.h>

/* check_strip - cd_quote_strip(input) must equal want */
static void
check_strip(const char *input, const char *want)
{
	char *got = cd_quote_strip(input);
	if (g_strcmp0(got, want) != 0)
		g_test_message("input:\n%s\n--- want:\n%s\n--- got:\n%s", input, want, got);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

/* check_reply_then - "Reply text.\n\n<history>" must give "Reply text." */
static void
check_reply_then(const char *history)
{
	char *input = g_strdup_printf("Reply text.\n\n%s", history);
	check_strip(input, "Reply text.");
	g_free(input);
}

/* check_untouched - input without quotes or signature comes back as it is */
static void
check_untouched(const char *input)
{
	check_strip(input, input);
}

static void
test_attribution_english(void)
{
	check_reply_then("On Mon, Apr 2, 2012 at 6:26 PM, Megan One <xxx@gmail.com> wrote:\n\n> Hi\n");
	check_reply_then("On 04/19/2011 07:10 AM, Roman Tkachenko wrote:\n\n> Test.\n");
	check_reply_then("On 11-Apr-2011, at 6:54 PM, Roman <romant@example.com> sent:\n\n> Test\n");
	check_reply_then("On Nov 26, 2013 you wrote:\n\nThis is my quote.\n");
	check_reply_then("At 6/16/2016 08:32 PM, you wrote:\n>Sorry\n");
	check_reply_then("Some One <info@example.org> wrote:\n\nSomething unquoted.\n");
	check_reply_then("John Smith wrote:\n> quoted\n");
}

static void
test_attribution_languages(void)
{
	static const char *const headers[] = {
		"Am 25.06.2015 um 10:55 schrieb Test user:",
		"Am Mo., 6. Mai 2019 um 10:30 Uhr schrieb Jane Doe <jane@example.com>:",
		"Test user <test@example.com> schrieb:",
		"Le 19 mars 2014 10:37, Cédric <cedric@example.com> a écrit :",
		"Le 2016-11-16 02:22, Erlend a écrit\u00a0:",
		"El 19/03/2014 11:34, Juan Pérez <juan@example.com> escribió:",
		"El 19/03/2014 11:34, Juan Pérez <juan@example.com> ha escrit:",
		"Il giorno lun 6 mag 2019 alle ore 10:30 Jane Doe <jane@example.com> ha scritto:",
		"Op 13-02-2014 3:18 schreef Julius Caesar <pantheon@example.com>:",
		"Op 2 feb. 2015 om 05:28 heeft Vanilla <info@example.org> het volgende geschreven:",
		"Em 2 de fevereiro de 2015 10:58, discourse <info@example.org> escreveu:",
		"Den mån 6 maj 2019 kl 10:30 skrev Jane Doe <jane@example.com>:",
		"tir. 18. apr. 2017 kl. 13:09 skrev Test user <test@example.com>:",
		"Den 08/06/2015 kl. 21.21 skrev Test user <test@example.com>:",
		"ma 6. toukok. 2019 klo 10.30 Matti Meikäläinen <matti@example.com> kirjoitti:",
		"W dniu 7 stycznia 2015 15:24 użytkownik Paweł <pawel@example.com> napisał:",
		"Dnia 27 grudnia 2016 12:08 Company <questions@example.com> napisał(a):",
		"W dniu 2015-01-07 14:23, pbrzoski91@example.com pisze: ",
		"po 6. 5. 2019 v 10:30 odesílatel Jan Novák <jan@example.com> napsal:",
		"понедельник, 6 октября 2014 г. пользователь lidel написал:",
		"пн, 6 мая 2019 г. в 10:30, Jane Doe <jane@example.com>:",
		"29 грудня 2017 р. о 19:09 <support@example.com> написав:",
		"2016/11/08 14:26、Test user <test@example.com> のメッセージ:",
		"2019年5月6日(月) 10:30 Jane Doe <jane@example.com>:",
		"在 2016年11月8日，下午2:23，Test user <test@example.com> 写道：",
		"Jane Doe <jane@example.com> 于2019年5月6日周一 上午10:30写道：",
		"2016. 11. 8. 오후 12:39 Test user <test@example.com> 작성:",
		"Vào 14:24 8 tháng 6, 2017, Hùng Nguyễn <hung@example.com> đã viết:",
		"Jane Doe <jane@example.com>, 6 May 2019 Pzt, 10:30 tarihinde şunu yazdı:",
		"Jane Doe <jane@example.com> ezt írta (időpont: 2019. máj. 6., H, 10:30):",
		"Στις Δευ, 6 Μαΐ 2019 στις 10:30, ο/η Jane Doe <jane@example.com> έγραψε:",
	};
	for (gsize k = 0; k < G_N_ELEMENTS(headers); k++) {
		/* followed by a quote, and followed by unquoted original text */
		char *quoted = g_strdup_printf("%s\n\n> original\n> text\n", headers[k]);
		char *unquoted = g_strdup_printf("%s\n\noriginal text\n", headers[k]);
		check_reply_then(quoted);
		check_reply_then(unquoted);
		g_free(quoted);
		g_free(unquoted);
	}
}

static void
test_attribution_gmail_date_first(void)
{
	check_reply_then("2014-03-20 8:48 GMT+01:00 Rémi Dolan <do_not_reply@example.com>:\n\n> old\n");
	check_reply_then("2011/4/7 Nathan <support@example.com>\n\n>  Cool beans\n");
	check_reply_then("2016-03-03 17:21 GMT+01:00 Some One\n\nAfter\n");
	/* a log line is not an attribution */
	check_untouched("Log:\n2016-05-01 10:30:01 ERROR connection refused:\n2016-05-01 10:30:02 retrying");
}

static void
test_attribution_wrapped(void)
{
	check_strip("Test reply\n\nOn Fri, May 6, 2011 at 6:03 PM, Roman Tkachenko from Hacker News\n"
	            "<roman@example.com> wrote:\n\n> Test.\n>\n> Roman\n\nRegards, Roman",
	            "Test reply\n\nRegards, Roman");
	check_reply_then("On Nov 30, 2011, at 12:47 PM, Somebody <\n416ffd3258d4d2fa4c85@example.com>\nwrote:\n\n"
	                 "Test message\n");
	check_reply_then("Il giovedì 8 dicembre 2016, Company <questions@example.com>\nha scritto:\n> Ciao\n");
	check_reply_then("tir. 18. apr. 2017 kl. 13:09 skrev Test user <test@example.com\n>:\n\n> Ok.\n");
	check_reply_then("Le 4 janv. 2016 19:03, \"Neil\"\n<info@example.org>\na écrit :\n\n> Bonjour\n");
	/* Polymail: the attribution is broken by a blank line */
	check_reply_then("On Tue, Apr 11, 2017 at 10:07 PM John Smith\n\n<\nmailto:John Smith <john@example.com>\n"
	                 "> wrote:\nTest quoted data\n");
	/* the greeting above a one-line attribution is not part of it */
	check_strip("Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Abhishek wrote:\n> Hi folks\n\nYou can list the keys.",
	            "Hi,\nYou can list the keys.");
}

static void
test_attribution_shares_line(void)
{
	check_strip("reply On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi", "reply");
	check_strip("reply--- On Wed, Apr 4, 2012 at 3:59 PM, me@example.com wrote:\n> Hi", "reply");
	check_strip("reply\nbla-bla - bla--- On Wed, Apr 4, 2012 at 3:59 PM, me@example.com wrote:\n> Hi",
	            "reply\nbla-bla - bla");
}

static void
test_attribution_dash_framed(void)
{
	check_reply_then("---- John Smith wrote ----\n\n> quoted\n> text\n");
	check_reply_then("------On 12/29/1987 17:32 PM, Julius Caesar wrote-----\n\nBrunch\n");
}

static void
test_attribution_not_prose(void)
{
	check_untouched("Hi,\n\nOn Monday I will call you.\n\nThanks");
	check_untouched("Line one.\n\nSomething wrote:\nmore of my own text\n\nBye");
	check_untouched("I wrote to bob@example.com yesterday:\nhe said no.");
	check_untouched("As I wrote on 12/01/2020:\nthe printer is broken.\nRegards");
	check_untouched("Blah-blah-blah\nOn blah-blah-blah");
	check_untouched("One outstanding question I had:\n\nLocally, when I run it, it fails.");
}

static void
test_bottom_and_top_posting(void)
{
	/* bottom-posting: the quote goes, the reply below it stays */
	check_strip("Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Abhishek Kona wrote:\n> Hi folks\n> What is best?\n\n"
	            "You can list the keys.\n\n> \n> -Abhishek\n",
	            "Hi,\nYou can list the keys.");
	/* attribution at the very top: the reply is below it */
	check_strip("On 04/19/2011 07:10 AM, Roman Tkachenko wrote:\n\n>\n> Test\nTest reply", "Test reply");
	check_strip("On 8 May 2017 17:34, \"Andy\" <andy@example.com> wrote:\n\n    nil && 2.0\n\nIt should be.",
	            "    nil && 2.0\n\nIt should be.");
	/* top-posting with unquoted history */
	check_strip("Thanks!\n\nOn Mon, Feb 1, 2016 at 4:58 AM -0800, \"Some One\" <foo@example.com> wrote:\n\n"
	            "This is the 2nd email.\n",
	            "Thanks!");
}

static void
test_separators(void)
{
	static const char *const lines[] = {
		"-----Original Message-----", "----- Original Message -----", "*-------- Original Message --------*",
		"-----Reply Message-----", "-----Ursprüngliche Nachricht-----", "-----Antwort Nachricht-----",
		"-----Oprindelig meddelelse-----", "-----Mensaje original-----", "-----Message d'origine-----",
		"-----Messaggio originale-----", "-----Oorspronkelijk bericht-----", "-------- Původní zpráva --------",
		"-------- Исходное сообщение --------", "-------- Mensagem original --------",
		"-------- Alkuperäinen viesti --------", "-------- Orijinal mesaj --------", "-------- 原始邮件 --------",
	};
	for (gsize k = 0; k < G_N_ELEMENTS(lines); k++) {
		char *history = g_strdup_printf("%s\n\nOld text\n", lines[k]);
		check_reply_then(history);
		g_free(history);
	}
	/* a dashed line with other words is text */
	check_untouched("Please enter your feedback below.\n\n----- Enter Feedback Below -----\n\nGreat service.");
}

static void
test_forwarded(void)
{
	check_reply_then("---------- Forwarded message ---------\nFrom: Foo <foo@example.com>\n"
	                 "Date: Tue, Jan 01, 2019 at 12:00 PM\nSubject: Hello\nTo: <bar@example.com>\n\nBody\n");
	check_reply_then("-------- Weitergeleitete Nachricht --------\nBetreff: x\n\nBody\n");
	check_reply_then("Begin forwarded message:\n\nFrom: Foo <foo@example.com>\nSubject: x\n\nBody\n");
	/* a forward with nothing above it: the forwarded body is the text */
	check_strip("---------- Forwarded message ----------\nFrom: Some One <foo@example.com>\n"
	            "Date: Thu, Jan 28, 2016 at 4:00 PM\nSubject: Some subject that\nspans over 2 lines\n"
	            "To: info@example.org\n\n\nThis is a forwarded email.",
	            "This is a forwarded email.");
}

static void
test_outlook_blocks(void)
{
	static const char *const blocks[] = {
		"From: CRM Comments [crm-comment@example.com]\nSent: Friday, 23 March 2012 5:08 p.m.\nTo: John\n"
		"Subject: [contact:106] John Greene",
		"*From:* Google Apps Sync Team [mailto:mail-noreply@example.com]\n*Sent:* Thursday, February 09, "
		"2012 1:36 PM\n*To:* jow@example.com\n*Subject:* Updated!",
		"  *From:* bob@example.com [mailto:\n  bob@example.com]\n  *Sent:* Wednesday, June 27, 2012 3:05 PM\n"
		"  *To:* travis@example.com\n  *Subject:* Hello",
		"From: John <john@example.com>\nDate: Thursday, July 7, 2016 at 3:10 PM\nTo: Lucy <lucy@example.com>\n"
		"Subject: Re:",
		"Von: Jane Doe <jane@example.com>\nGesendet: Montag, 6. Mai 2019 10:30\nAn: Bob\nBetreff: Test",
		"De : Company<mailto:questions@example.com>\nEnvoyé le :jeudi 15 décembre 2016 09:35\n"
		"À : someone@example.fr\nObjet :Curabitur",
		"   De : Company<mailto:questions@example.com>\n   Envoyé le :jeudi 15 décembre 2016 09:35",
		"De: Jane <jane@example.com>\nEnviado: lunes, 6 de mayo de 2019 10:30\nPara: Bob\nAsunto: Test",
		"Da: Company<mailto:questions@example.com>\nInviato: martedì, 3 gennaio 2017 10:35\nA: x\n"
		"Oggetto: Curabitur",
		"Van: Company [mailto:questions@example.com]\nVerzonden: maandag 5 december 2016 17:00\nAan: x\n"
		"Onderwerp: Curabitur",
		"Från: Anno [mailto:anno@example.com]\nSkickat: den 26 augusti 2015 14:45\nTill: Leiff\nÄmne: RE: 36",
		"Fra: somebody@example.com\nSendt: 19. march 2011 12:10\nTil: Somebody\nEmne: Loop",
		"Lähettäjä: Jane <jane@example.com>\nLähetetty: maanantai 6. toukokuuta 2019 10.30\n"
		"Vastaanottaja: Bob\nAihe: Test",
		"Od: Jane <jane@example.com>\nOdesláno: pondělí 6. května 2019 10:30\nKomu: Bob\nPředmět: Test",
		"От: Jane <jane@example.com>\nОтправлено: 6 мая 2019 г. 10:30\nКому: Bob\nТема: Test",
		"Kimden: Jane <jane@example.com>\nGönderildi: 6 Mayıs 2019 Pazartesi 10:30\nKime: Bob\nKonu: Test",
		"发件人: Company <questions@example.com>\n发送时间: 2017年8月2日 15:37\n收件人: Sylvie\n主题: France",
		"差出人: Jane <jane@example.com>\n送信日時: 2019年5月6日 10:30\n宛先: Bob\n件名: Test",
		"보낸 사람: Jane <jane@example.com>\n보낸 날짜: 2019년 5월 6일 월요일 오전 10:30\n받는 사람: Bob\n제목: Test",
		"Từ: Jane <jane@example.com>\nĐã gửi: 06 Tháng Năm 2019 10:30\nĐến: Bob\nChủ đề: Test",
		"Date: Fri=2C 28 Sep 2012 10:55:48 +0000\nFrom: tickets@example.com\nTo: bob@example.com",
	};
	for (gsize k = 0; k < G_N_ELEMENTS(blocks); k++) {
		char *history = g_strdup_printf("%s\n\nOld message body\n", blocks[k]);
		check_reply_then(history);
		g_free(history);
	}
	/* rules and a dated label line above the block go with it */
	check_reply_then("________________________________________\nFrom: CRM [crm@example.com]\n"
	                 "Sent: Friday, 23 March 2012 5:08 p.m.\nSubject: x\n\nbody\n");
	check_reply_then("========================================\n\nMessage du : 12/12/2016 13:20\n"
	                 "De : \"Company \" <questions@example.com>\nA : x@example.fr\nSujet : vitae\n\nbody\n");
}

static void
test_outlook_block_not_a_form(void)
{
	check_untouched("Booking\nFrom: Berlin\nTo: Paris\nDate: 05/05/2019\n\nPlease confirm.");
	check_untouched("Invitation:\n\nDate: Wednesday 3, October 2011\nTime: 7:00am\nAddress: 130 Fox St\n\nBring ID.");
}

static void
test_quote_lines(void)
{
	/* quoted history at the bottom goes */
	check_strip("Hello\n\n> Subject: Test\n> From: bob@example.com\n>\n> Hi\n", "Hello");
	/* a quote in the middle, answered below, stays */
	check_untouched("> This is a quote.\n\nAnd this is some text.");
	check_untouched("Visit us now...\n>>> >>>  http://www.example.com <<<\nVisit our site by clicking above");
	/* a wrapped line inside a quote block is part of the block */
	check_strip("Blah\n\nOn Monday, 24 September, 2012 at 3:46 PM, bob wrote:\n\n> [Ticket #50] test\n>\n"
	            "> View ticket (http://example.com/action\n_nonce=3dd518)\n>\n",
	            "Blah");
}

static void
test_signature_dashdash(void)
{
	check_strip("this is an email with a correct -- signature.\n\n-- \nrick", "this is an email with a correct -- signature.");
	check_strip("no empty line above.\n--\nrick", "no empty line above.");
	check_untouched("And here is a fix -- this is not a signature.\n\nkthxbai");
	check_strip("Hi folks\n\n-Abhishek Kona\n\n\n_______________________________________________\n"
	            "riak-users mailing list\nriak-users@example.com",
	            "Hi folks");
}

static void
test_signature_mobile(void)
{
	static const char *const sigs[] = {
		"Sent from my iPhone", "Sent from my BlackBerry", "Sent from my Verizon Wireless BlackBerry",
		"Sent from my Wiko RIDGE FAB 4G", "Envoyé depuis mon iPhone", "Von meinem iPhone gesendet",
		"Sendt fra min iPad", "Skickat från min iPhone", "Enviado desde mi iPhone", "Enviado do meu iPhone",
		"Inviato da iPhone", "Verzonden met BlackBerry Work", "Wysłane z iPhone'a", "Отправлено с iPhone",
		"iPhoneから送信", "从我的 iPhone 发送",
	};
	for (gsize k = 0; k < G_N_ELEMENTS(sigs); k++) {
		char *input = g_strdup_printf("Here is another email\n\n%s\n\nOriginal text below\n", sigs[k]);
		check_strip(input, "Here is another email");
		g_free(input);
	}
	/* client signatures that could start a sentence count only above history */
	check_strip("Great thanks.\nBraxton\n\nSent from Mail for Windows 10\n\nFrom: Bort\nSent: April 9, 2020 2:02 PM\n"
	            "To: b@example.com\nSubject: Re: Stuff\n\nHere is the stuff.",
	            "Great thanks.\nBraxton");
	check_untouched("The parcel left today.\nSent via FedEx tracking 12345\n\nThanks, Bob");
	check_untouched("Here is another email\n\nSent from my desk, is much easier then my mobile phone.");
}

static void
test_line_ends(void)
{
	check_strip("Thank you very much.\r\n\r\nOn Tue, 2011-03-01 at 18:02 +0530, Abhishek Kona wrote:\r\n\r\n"
	            "This is my previous mail\r\n",
	            "Thank you very much.");
	check_strip("Email with\r\nwindows\r\nline\r\nendings\r\n", "Email with\nwindows\nline\nendings");
	check_strip("old\rmac\rline ends\r", "old\nmac\nline ends");
	/* trailing blanks of each line and surrounding blank lines go */
	check_strip("\n\n\n  Strip leading and trailing empty lines.  \n\n\n", "  Strip leading and trailing empty lines.");
}

static void
test_nothing_quoted(void)
{
	check_untouched("Email with only text.");
	check_untouched("Formatting and\n\nspaces\n\n- A\n- B\n\nshould be retained\n\n\n    - Item #1\n    - Item #2");
	check_untouched("This is a long email.\n\n```\n# not a rule\n#\n\n####\nCode\n```\n\nEnd of the email.");
	check_untouched("<http://link1> <http://link2>");
}

static void
test_all_quoted(void)
{
	check_strip("> Email with only quote.\n", "> Email with only quote.");
	check_strip("\n> On Thu, Apr 30, 2020 at 10:07 AM, \"someone\" <someone@example.com> wrote:\n>\n>> Hello\n\n",
	            "> On Thu, Apr 30, 2020 at 10:07 AM, \"someone\" <someone@example.com> wrote:\n>\n>> Hello");
	/* nothing but an attribution: the input, not an empty string */
	check_strip("On Mon, Apr 2, 2012 at 6:26 PM, Megan <m@example.com> wrote:",
	            "On Mon, Apr 2, 2012 at 6:26 PM, Megan <m@example.com> wrote:");
	/* a body that is only a signature keeps it */
	check_strip("Sent from my iPhone", "Sent from my iPhone");
}

static void
test_degenerate_input(void)
{
	check_strip("", "");
	check_strip("\n\r\n  \n", "");
	check_strip(NULL, "");
	/* invalid UTF-8 is repaired, not trusted */
	char *got = cd_quote_strip("caf\xe9 ok\n\n-- \nsig");
	g_assert_true(g_utf8_validate(got, -1, NULL));
	g_assert_true(g_str_has_suffix(got, " ok"));
	g_free(got);
}

/* Time allowed for a 10 MB body: well under a second in a normal build (about 0.2 s on a 2020s
 * laptop for the dense text below), more under AddressSanitizer, which slows everything ~3x. */
#if defined(__SANITIZE_ADDRESS__)
#define LARGE_INPUT_SECONDS 4.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LARGE_INPUT_SECONDS 4.0
#endif
#endif
#ifndef LARGE_INPUT_SECONDS
#define LARGE_INPUT_SECONDS 1.0
#endif

/* time_strip - cd_quote_strip(input) and the seconds it took */
static char *
time_strip(const char *input, double *seconds)
{
	gint64 start = g_get_monotonic_time();
	char *got = cd_quote_strip(input);
	*seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	return got;
}

static void
test_large_input(void)
{
	const gsize target = 10 * 1024 * 1024;
	GString *long_line = g_string_new(NULL);
	while (long_line->len < 64 * 1024)
		g_string_append(long_line, "word: 2016-01-01 10:30 <a@example.com> wrote ");
	g_string_append(long_line, "end"); /* no trailing blank: output lines lose theirs */

	/* a short reply above 10 MB of quoted history (nested attributions, wrapped and very long lines) */
	GString *body = g_string_new("Top reply line.\n\nOn Mon, Feb 1, 2016 at 4:58 AM, Some One <foo@example.com> wrote:\n");
	while (body->len < target) {
		g_string_append(body, "> On Sun, Jan 31, 2016 at 9:58 PM, Another <info@example.org> wrote:\n");
		for (int k = 0; k < 40; k++)
			g_string_append(body, "> quoted history line that goes on for a while: 12:30, and more words\r\n");
		g_string_append(body, "a line broken out of the quote\n>\n> ");
		g_string_append_len(body, long_line->str, (gssize)long_line->len);
		g_string_append(body, "\n>\n");
	}
	double seconds;
	char *got = time_strip(body->str, &seconds);
	g_test_message("10 MB of quoted history stripped in %.3f s", seconds);
	g_assert_true(strcmp(got, "Top reply line.") == 0);
	g_assert_cmpfloat(seconds, <, LARGE_INPUT_SECONDS * tu_time_scale());
	g_free(got);

	/* 10 MB of short lines with colons, dates, addresses and rules: nothing to strip */
	g_string_truncate(body, 0);
	while (body->len < target) {
		g_string_append(body, "An ordinary line of a long customer message, nothing special: 42.\n\n");
		g_string_append(body, "On 2016-01-01 at 10:30 we met John <john@example.com> and\n");
		g_string_append(body, "Note: something: here: 12:30 and 2019-05-06 <x@example.com>\n");
		g_string_append(body, "---------- ---------- ----------\n");
		g_string_append(body, "Subject: a field-like line\nend of block.\n");
	}
	got = time_strip(body->str, &seconds);
	g_test_message("10 MB of plain text in %.3f s", seconds);
	g_assert_cmpuint(strlen(got), ==, body->len - 1);
	g_assert_true(strncmp(got, body->str, body->len - 1) == 0);
	g_assert_cmpfloat(seconds, <, LARGE_INPUT_SECONDS * tu_time_scale());
	g_free(got);

	g_string_free(body, TRUE);
	g_string_free(long_line, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/quote/attribution/english", test_attribution_english);
	g_test_add_func("/quote/attribution/languages", test_attribution_languages);
	g_test_add_func("/quote/attribution/gmail-date-first", test_attribution_gmail_date_first);
	g_test_add_func("/quote/attribution/wrapped", test_attribution_wrapped);
	g_test_add_func("/quote/attribution/shares-line", test_attribution_shares_line);
	g_test_add_func("/quote/attribution/dash-framed", test_attribution_dash_framed);
	g_test_add_func("/quote/attribution/not-prose", test_attribution_not_prose);
	g_test_add_func("/quote/posting-style", test_bottom_and_top_posting);
	g_test_add_func("/quote/separators", test_separators);
	g_test_add_func("/quote/forwarded", test_forwarded);
	g_test_add_func("/quote/outlook-block", test_outlook_blocks);
	g_test_add_func("/quote/outlook-block/not-a-form", test_outlook_block_not_a_form);
	g_test_add_func("/quote/quote-lines", test_quote_lines);
	g_test_add_func("/quote/signature/dashdash", test_signature_dashdash);
	g_test_add_func("/quote/signature/mobile", test_signature_mobile);
	g_test_add_func("/quote/line-ends", test_line_ends);
	g_test_add_func("/quote/nothing-quoted", test_nothing_quoted);
	g_test_add_func("/quote/all-quoted", test_all_quoted);
	g_test_add_func("/quote/degenerate-input", test_degenerate_input);
	g_test_add_func("/quote/large-input", test_large_input);
	return g_test_run();
}
