/* fc-driver: the Firecracker API client (HTTP/1.1 over the Unix socket; every call of one
 * handle after the first goes over the same keep-alive connection). */
#ifndef LIA_FC_API_H
#define LIA_FC_API_H
#include <stddef.h>
#include <jansson.h>

struct fc_api;

/* NULL with errno set (ENOMEM, ENAMETOOLONG: the path does not fit a sockaddr_un).
 * Connects on the first call.  timeout_ms bounds each request. */
struct fc_api *fc_api_open(const char *socket_path, long timeout_ms);
void fc_api_close(struct fc_api *api);

/* PUT body to path ("/boot-source").  Returns the HTTP status (2xx on success), or -1
 * when no HTTP answer came (connection refused, timeout, not HTTP...).  On anything but
 * 2xx, err gets a sentence: Firecracker's fault_message, or what went wrong (naming the
 * socket).  A kept connection the server closed is replaced once, transparently. */
int fc_api_put(struct fc_api *api, const char *path, json_t *body, char *err, size_t errlen);

#endif
