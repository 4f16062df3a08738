/* fc-driver: libcurl client for Firecracker's API socket.
 * libcurl is opened on first use (dlopen, as lia-core's curl_dl.c does), not linked: most
 * commands that load fc-driver (vm stop, vm destroy, gc, every command of a host without
 * VMs) never call the API, and mapping libcurl with its ~30 libraries cost more than the
 * rest of their start-up.
 * Firecracker (micro_http) quirks handled here: 204 carries no Content-Length (curl knows
 * 204 has no body, so it never reads to EOF), the status line has no reason phrase,
 * Content-Length is always sent (POSTFIELDSIZE), no chunking, and "Expect:" is cleared so
 * curl never waits for a 100-continue. */
#include <dlfcn.h>
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

/* every libcurl function used here, through pointers of the libcurl's own types (the
 * header gives types and constants only); prefixed so that they never meet lia-core's */
/* clang-format off */
#define FC_CURL_FUNCS(X) \
	X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_setopt) X(curl_easy_perform) \
	X(curl_easy_getinfo) X(curl_easy_strerror) X(curl_slist_append) X(curl_slist_free_all)
#define FC_CURL_DEFINE(f) static typeof(f) *fc_##f;
FC_CURL_FUNCS(FC_CURL_DEFINE)
#undef FC_CURL_DEFINE
/* clang-format on */
#undef curl_easy_setopt /* curl.h's type-checking wrappers call the real functions */
#undef curl_easy_getinfo
#define curl_easy_init fc_curl_easy_init
#define curl_easy_cleanup fc_curl_easy_cleanup
#define curl_easy_setopt fc_curl_easy_setopt
#define curl_easy_perform fc_curl_easy_perform
#define curl_easy_getinfo fc_curl_easy_getinfo
#define curl_easy_strerror fc_curl_easy_strerror
#define curl_slist_append fc_curl_slist_append
#define curl_slist_free_all fc_curl_slist_free_all

static char curl_why[512]; /* why libcurl could not be opened */

/* open libcurl once per process: 0, or -1 with the reason in curl_why */
static int curl_open(void)
{
	static int state; /* 0: not tried, 1: loaded, -1: failed */
	if (state)
		return state > 0 ? 0 : -1;
	/* never closed: libcurl keeps global state until exit */
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_NODELETE);
	state = 1;
	if (!h) {
		snprintf(curl_why, sizeof curl_why, "cannot load libcurl.so.4 (%s): apt-get install libcurl4",
			 dlerror());
		state = -1;
	}
#define FC_CURL_RESOLVE(f)                                                                        \
	if (state == 1 && !(*(void **)&fc_##f = dlsym(h, #f))) {                                  \
		snprintf(curl_why, sizeof curl_why, "libcurl.so.4 has no %s: it is too old", #f); \
		state = -1;                                                                       \
	}
	FC_CURL_FUNCS(FC_CURL_RESOLVE)
#undef FC_CURL_RESOLVE
	return state > 0 ? 0 : -1;
}

const char *fc_api_load_error(void)
{
	return curl_why[0] ? curl_why : NULL;
}

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
	if (curl_open() < 0)
		return NULL;
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
