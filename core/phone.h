/* phone.h - phone numbers: E.164 normalisation with libphonenumber (a C interface over its C++ API,
 * implemented in phone.cc) and who a number belongs to (customers.phone, customer_contacts of kind
 * 'phone', agents.phone).
 *
 * Every number caredesk stores or compares is E.164 ("+4915112345678"): a number written
 * nationally ("0151 1234 5678") is read in the configured default country ([sms] default_country). */
#ifndef CD_PHONE_H
#define CD_PHONE_H

#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cd_phone_e164 - text as an E.164 number, newly allocated; NULL when it is not a valid phone
 * number. default_country: ISO 3166 two-letter region for national numbers ("DE"); NULL or ""
 * means only international numbers ("+..." or "00...") are understood. A short code (a gateway's
 * own number like 1234) is not a valid number: cd_phone_normalize keeps it as digits. */
char *cd_phone_e164(const char *text, const char *default_country);

/* cd_phone_normalize - cd_phone_e164, else the digits of text (with a leading + when it had one),
 * else NULL when text holds no digit. What a sender's number is stored as. */
char *cd_phone_normalize(const char *text, const char *default_country);

#ifdef __cplusplus
}
#endif

#endif
