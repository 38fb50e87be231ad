#!/usr/bin/env bash
# Download the python version of CIFAR-10 into data/cifar-10-batches-py/ (needs internet access).
set -euo pipefail
cd "$(dirname "$0")"
if [ -f cifar-10-batches-py/test_batch ]; then
  echo "CIFAR-10 is already in $(pwd)/cifar-10-batches-py"
  exit 0
fi
curl -fL -o cifar-10-python.tar.gz https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz
tar -xzf cifar-10-python.tar.gz
rm cifar-10-python.tar.gz
echo "CIFAR-10 unpacked into $(pwd)/cifar-10-batches-py"
