#!/usr/bin/env python3
"""Times NIS1 signing and verification with the official symbol-sdk-python (its NEM key pair)
on a given key and payload, for Hanko's benchmark (bench/):
    python3 bench_sign.py PRIVATE_KEY_HEX DATA_HEX SECONDS
prints one JSON line: ops per second and the signature (which must equal Hanko's)."""
import json
import sys
import time

from symbolchain.CryptoTypes import PrivateKey
from symbolchain.nem.KeyPair import KeyPair, Verifier


def rate(op, seconds):
    ops = 0
    start = time.perf_counter()
    while True:
        for _ in range(16):
            op()
        ops += 16
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return ops / elapsed


def main():
    private_key, data_hex, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    key_pair = KeyPair(PrivateKey(private_key))
    data = bytes.fromhex(data_hex)
    signature = key_pair.sign(data)
    verifier = Verifier(key_pair.public_key)
    print(json.dumps({
        'sdk': 'symbol-sdk-python (NEM key pair)',
        'sign_per_second': rate(lambda: key_pair.sign(data), seconds),
        'verify_per_second': rate(lambda: verifier.verify(data, signature), seconds),
        'signature': str(signature).lower(),
    }))


if __name__ == '__main__':
    main()
