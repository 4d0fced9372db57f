#!/usr/bin/env node
// Times NIS1 signing and verification with the official nem-sdk on a given key and payload,
// for Hanko's benchmark (bench/): node bench-sign.js PRIVATE_KEY_HEX DATA_HEX SECONDS
// → one JSON line: ops per second and the signature (which must equal Hanko's).
'use strict';
const nem = require('nem-sdk').default;

const [privateKey, dataHex, secondsText] = process.argv.slice(2);
if (!privateKey || !dataHex) {
  console.error('usage: bench-sign.js PRIVATE_KEY_HEX DATA_HEX SECONDS');
  process.exit(2);
}
const seconds = Number(secondsText || '1');
const keyPair = nem.crypto.keyPair.create(privateKey);
const data = nem.utils.convert.hex2ua(dataHex);
const publicKey = keyPair.publicKey.toString();

function time(op) {
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  do {
    for (let i = 0; i < 16; i++) op();
    ops += 16;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  return ops / (Number(elapsed) / 1e9);
}

const signature = keyPair.sign(data).toString();
const sign = time(() => keyPair.sign(data));
const verify = time(() => nem.crypto.verifySignature(publicKey, dataHex, signature));
console.log(JSON.stringify({ sdk: 'nem-sdk 1.6.11 (node)', sign_per_second: sign, verify_per_second: verify, signature }));
