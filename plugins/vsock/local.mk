# plugins/vsock: filled in by its issue
