#!/bin/sh
# The example image's entrypoint: what the image document's config set up.
echo "Hello from an image composed on IPFS: $GREETING"
echo "working directory $(pwd), user $(id -u):$(id -g)"
