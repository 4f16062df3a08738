#include "config.h"
#include <errno.h>
#include "nlroute.h"

int lia_nl_route_open(struct lia_ctx *ctx, struct nl_sock **sk)
{
	if (*sk)
		return 0;
	*sk = nl_socket_alloc();
	if (!*sk)
		return ctx->host->error(ctx, -ENOMEM, "cannot allocate a netlink socket");
	int err = nl_connect(*sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(*sk);
		*sk = NULL;
		return ctx->host->error(ctx, -EIO, "cannot open a rtnetlink socket: %s", nl_geterror(err));
	}
	return 0;
}

struct rtnl_link *lia_nl_link_get(struct nl_sock *sk, const char *name, int *err)
{
	struct rtnl_link *l = NULL;
	int e = rtnl_link_get_kernel(sk, 0, name, &l);
	*err = (e == -NLE_NODEV || e == -NLE_OBJ_NOTFOUND) ? 0 : e;
	return e < 0 ? NULL : l;
}
