/* The rtnetlink socket and link lookup the network plugins share (compiled into each of
 * them: a plugin links no other plugin).  Kept outside the core on purpose: lia-core must
 * not map libnl for commands that never touch the network. */
#ifndef LIA_COMMON_NLROUTE_H
#define LIA_COMMON_NLROUTE_H
#include <lia/plugin.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

/* connect *sk once (a no-op when it is open); 0 or a recorded negative error */
int lia_nl_route_open(struct lia_ctx *ctx, struct nl_sock **sk);
/* the link named `name`, or NULL with *err = 0 when there is none (*err < 0: a failure) */
struct rtnl_link *lia_nl_link_get(struct nl_sock *sk, const char *name, int *err);

#endif
