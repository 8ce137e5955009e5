// phone.cc - E.164 normalisation with libphonenumber, behind the C interface of phone.h.
#include "phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" char *
cd_phone_e164(const char *text, const char *default_country)
{
	if (text == NULL || *text == '\0')
		return NULL;
	const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
	std::string in(text);
	// "00" is the international prefix nearly everywhere: read it as "+" so that a number
	// written that way needs no default country.
	size_t start = in.find_first_not_of(" \t");
	if (start != std::string::npos && in.compare(start, 2, "00") == 0)
		in = "+" + in.substr(start + 2);
	std::string region = default_country && *default_country ? default_country : "ZZ";
	for (char &c : region)
		c = (char)g_ascii_toupper(c);
	PhoneNumber pn;
	if (util->Parse(in, region, &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
		return NULL;
	if (!util->IsValidNumber(pn))
		return NULL;
	std::string out;
	util->Format(pn, PhoneNumberUtil::E164, &out);
	return g_strdup(out.c_str());
}

extern "C" char *
cd_phone_normalize(const char *text, const char *default_country)
{
	char *e164 = cd_phone_e164(text, default_country);
	if (e164)
		return e164;
	if (text == NULL)
		return NULL;
	GString *s = g_string_new(NULL);
	for (const char *p = text; *p; p++) {
		if (*p == '+' && s->len == 0)
			g_string_append_c(s, '+');
		else if (g_ascii_isdigit(*p))
			g_string_append_c(s, *p);
	}
	if (s->len == 0 || (s->len == 1 && s->str[0] == '+')) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}
