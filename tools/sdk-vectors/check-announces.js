#!/usr/bin/env node
// Checks every announce a NIS node received (one {"data","signature"} JSON object per line)
// with the official NEM SDK, nem-sdk: the signature verifies under nem-sdk's Keccak-Ed25519,
// and nem-sdk serializes the decoded transaction to exactly the announced bytes. Every
// multisig signature transaction must cosign a wrapper announced in the same file.
// Identical bytes announced again (a retry) count once; `payments` counts distinct inner
// transactions carried by wrappers.
//
//   node check-announces.js FILE     → one JSON summary line; exit 1 on any disagreement
'use strict';
const fs = require('fs');
const nem = require('nem-sdk').default;

class Reader {
  constructor(bytes) { this.b = bytes; this.at = 0; }
  u32() {
    if (this.at + 4 > this.b.length) throw new Error(`truncated at byte ${this.at}`);
    const v = this.b.readUInt32LE(this.at); this.at += 4; return v;
  }
  u64() {
    const lo = this.u32(); const hi = this.u32();
    const v = hi * 4294967296 + lo;
    if (!Number.isSafeInteger(v)) throw new Error('amount beyond 2^53');
    return v;
  }
  bytes(n) {
    if (this.at + n > this.b.length) throw new Error(`truncated at byte ${this.at}`);
    const v = this.b.subarray(this.at, this.at + n); this.at += n; return v;
  }
  sized() { return this.bytes(this.u32()); }
  text() { return this.sized().toString('ascii'); }
}

// Bytes → the entity shape nem-sdk serializes.
function entity(r) {
  const type = r.u32();
  const version = r.u32();
  const timeStamp = r.u32();
  const signer = r.sized().toString('hex');
  const fee = r.u64();
  const deadline = r.u32();
  const e = { type, version, timeStamp, signer, fee, deadline };
  switch (type) {
    case 0x0101: {
      e.recipient = r.text();
      e.amount = r.u64();
      const messageLength = r.u32();
      if (messageLength === 0) {
        e.message = { type: 1, payload: '' };
      } else {
        const m = new Reader(r.bytes(messageLength));
        e.message = { type: m.u32(), payload: m.sized().toString('hex') };
      }
      e.mosaics = [];
      if ((version & 0xffffff) === 2) {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          const m = new Reader(r.sized());
          const id = new Reader(m.sized());
          const namespaceId = id.text();
          const name = id.text();
          e.mosaics.push({ mosaicId: { namespaceId, name }, quantity: m.u64() });
        }
      }
      return e;
    }
    case 0x1004: {
      const inner = new Reader(r.sized());
      e.otherTrans = entity(inner);
      if (inner.at !== inner.b.length) throw new Error('trailing bytes in the inner transaction');
      return e;
    }
    case 0x1002: {
      const hash = new Reader(r.sized());
      e.otherHash = { data: hash.sized().toString('hex') };
      e.otherAccount = r.text();
      return e;
    }
    default:
      throw new Error(`transaction type 0x${type.toString(16)} is not one Hanko announces`);
  }
}

function keccak256(hex) {
  const CryptoJS = require('crypto-js');
  return CryptoJS.SHA3(CryptoJS.enc.Hex.parse(hex), { outputLength: 256 }).toString(CryptoJS.enc.Hex);
}

function main() {
  const file = process.argv[2];
  if (!file) { console.error('usage: check-announces.js FILE'); process.exit(2); }
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const wrapped = new Set();
  const distinct = new Set();
  const cosigned = [];
  const problems = [];
  let wrappers = 0;
  let cosignatures = 0;
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    try {
      const { data, signature } = JSON.parse(line);
      const r = new Reader(Buffer.from(data, 'hex'));
      const e = entity(r);
      if (r.at !== r.b.length) throw new Error('trailing bytes');
      const again = nem.utils.convert.ua2hex(nem.utils.serialization.serializeTransaction(e));
      if (again !== data.toLowerCase()) throw new Error(`nem-sdk serializes it as ${again}`);
      if (!nem.crypto.verifySignature(e.signer, data, signature)) throw new Error('nem-sdk: bad signature');
      const first = !distinct.has(data);
      distinct.add(data);
      if (!first) return;
      if (e.type === 0x1002) cosignatures += 1;
      if (e.type === 0x1004) {
        wrappers += 1;
        wrapped.add(keccak256(nem.utils.convert.ua2hex(nem.utils.serialization.serializeTransaction(e.otherTrans))));
      }
      if (e.type === 0x1002) cosigned.push({ where, hash: e.otherHash.data });
    } catch (err) {
      problems.push(`${where}: ${err.message}`);
    }
  });
  for (const c of cosigned) {
    if (!wrapped.has(c.hash)) problems.push(`${c.where}: cosigns ${c.hash}, which no announced wrapper carries`);
  }
  console.log(JSON.stringify({ file, announces: lines.length, distinct: distinct.size, wrappers, cosignatures, payments: wrapped.size, problems }));
  process.exit(problems.length === 0 ? 0 : 1);
}

main();
