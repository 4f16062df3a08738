# plugins/kernel-fetch: filled in by its issue
