# plugins/fc-driver: filled in by its issue
