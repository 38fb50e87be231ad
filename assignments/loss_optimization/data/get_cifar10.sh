#!/usr/bin/env bash
# Download the python version of CIFAR-10 (about 170 MB) into data/cifar-10-batches-py/; needs internet access.
# Usage, from the assignment folder: bash data/get_cifar10.sh
set -euo pipefail
cd "$(dirname "$0")"
URL=https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz
if [ -f cifar-10-batches-py/test_batch ]; then
  echo "CIFAR-10 is already in $(pwd)/cifar-10-batches-py"
  exit 0
fi
if ! curl -fL -o cifar-10-python.tar.gz "$URL"; then
  rm -f cifar-10-python.tar.gz
  echo "Could not download $URL: CIFAR-10 needs internet access. The notebooks use the digits, which need none." >&2
  exit 1
fi
tar -xzf cifar-10-python.tar.gz
rm cifar-10-python.tar.gz
echo "CIFAR-10 unpacked into $(pwd)/cifar-10-batches-py"
