/* fc-driver: libcurl client for Firecracker's API socket.
 * Firecracker (micro_http) quirks handled here: 204 carries no Content-Length (curl knows
 * 204 has no body, so it never reads to EOF), the status line has no reason phrase,
 * Content-Length is always sent (POSTFIELDSIZE), no chunking, and "Expect:" is cleared so
 * curl never waits for a 100-continue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "fc-api.h"
#include "fc-args.h"

struct fc_api {
	CURL *curl;
	struct curl_slist *headers;
	char *resp;
	size_t len, cap;
	char errbuf[CURL_ERROR_SIZE];
};

/* Firecracker's bodies are small; cap what we keep so a broken peer cannot make us grow */
#define FC_RESP_MAX (64 * 1024)

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct fc_api *a = user;
	size_t len = size * n;
	if (a->len + len + 1 > FC_RESP_MAX) /* keep the head, drop the rest */
		len = a->len + 1 < FC_RESP_MAX ? FC_RESP_MAX - a->len - 1 : 0;
	if (a->len + len + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 1024;
		while (cap < a->len + len + 1)
			cap *= 2;
		char *p = realloc(a->resp, cap);
		if (!p)
			return 0;
		a->resp = p;
		a->cap = cap;
	}
	memcpy(a->resp + a->len, data, len);
	a->len += len;
	a->resp[a->len] = '\0';
	return size * n;
}

struct fc_api *fc_api_open(const char *socket_path, long timeout_ms)
{
	struct fc_api *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->curl = curl_easy_init();
	if (!a->curl)
		goto fail;
	struct curl_slist *h = NULL;
	const char *hdrs[] = { "Content-Type: application/json", "Accept: application/json", "Expect:" };
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		struct curl_slist *n = curl_slist_append(h, hdrs[i]);
		if (!n) {
			curl_slist_free_all(h);
			goto fail;
		}
		h = n;
	}
	a->headers = h;
	CURL *c = a->curl;
	if (curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path) != CURLE_OK)
		goto fail;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, a->headers);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	/* no proxy from the environment may ever see this request */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	return a;
fail:
	fc_api_close(a);
	return NULL;
}

void fc_api_close(struct fc_api *a)
{
	if (!a)
		return;
	if (a->curl)
		curl_easy_cleanup(a->curl);
	curl_slist_free_all(a->headers);
	free(a->resp);
	free(a);
}

int fc_api_put(struct fc_api *a, const char *path, json_t *body, char *err, size_t errlen)
{
	char url[512];
	char *text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "out of memory building the body of PUT %s", path);
		return -1;
	}
	snprintf(url, sizeof(url), "http://localhost%s", path);
	a->len = 0;
	if (a->resp)
		a->resp[0] = '\0';
	a->errbuf[0] = '\0';
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
	CURLcode rc = curl_easy_perform(a->curl);
	/* POSTFIELDS is not copied: clear it before freeing */
	curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, NULL);
	free(text);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc));
		return -1;
	}
	long status = 0;
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		fc_fault_text(a->resp, a->len, err, errlen);
	return (int)status;
}
