# plugins/image-alpine: filled in by its issue
