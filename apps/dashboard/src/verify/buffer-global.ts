// 'buffer/': the npm package, never Node's core module of the same name.
import { Buffer } from 'buffer/';

// The SDK's offline verifiers use Node's Buffer as a global. In the browser it is the `buffer`
// package's, which lacks the one BigInt method the summed Merkle tree writes with.
type BigIntWriter = { writeBigUInt64BE?: (value: bigint, offset?: number) => number };
const proto = Buffer.prototype as unknown as BigIntWriter & Uint8Array;
if (!proto.writeBigUInt64BE) {
  proto.writeBigUInt64BE = function (this: Uint8Array, value: bigint, offset = 0) {
    new DataView(this.buffer, this.byteOffset, this.byteLength).setBigUint64(offset, value, false);
    return offset + 8;
  };
}
(globalThis as { Buffer?: unknown }).Buffer ??= Buffer;
