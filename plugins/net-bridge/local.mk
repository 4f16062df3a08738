# plugins/net-bridge: filled in by its issue
