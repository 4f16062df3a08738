# plugins/net-tap: filled in by its issue
