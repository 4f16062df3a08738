# plugins/image-dir: filled in by its issue
