/**
 * Tensor values as they arrive: the binary buffer of a `values` message read
 * as a typed array of its dtype (little-endian by contract, copied when the
 * buffer is unaligned or the host is big-endian).
 */
import type { IValues, ValueDType } from './types';

/** Typed array for each dtype `values` may carry. */
export type ValueArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

const ARRAY_TYPES: {
  [K in ValueDType]: {
    BYTES_PER_ELEMENT: number;
    new (buffer: ArrayBuffer, byteOffset: number, length: number): ValueArray;
  };
} = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array
};

/** Little-endian host? Buffers are little-endian by contract. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The `count` elements of a `values` message's first buffer as a typed array.
 * Throws when the buffer is missing or too short.
 */
export function decodeValues(
  msg: IValues,
  buffer: ArrayBuffer | ArrayBufferView | undefined
): ValueArray {
  if (!buffer) {
    throw new Error('values: the message has no buffer');
  }
  const Ctor = ARRAY_TYPES[msg.dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  let bytes: ArrayBuffer;
  let offset: number;
  let length: number;
  if (ArrayBuffer.isView(buffer)) {
    bytes = buffer.buffer as ArrayBuffer;
    offset = buffer.byteOffset;
    length = buffer.byteLength;
  } else {
    bytes = buffer;
    offset = 0;
    length = buffer.byteLength;
  }
  if (length < msg.count * size) {
    throw new Error(
      `values: ${length} bytes for ${msg.count} ${msg.dtype} elements`
    );
  }
  if (offset % size !== 0) {
    // Typed arrays need aligned views: copy the bytes to a fresh buffer.
    bytes = bytes.slice(offset, offset + msg.count * size);
    offset = 0;
  }
  const array = new Ctor(bytes, offset, msg.count);
  if (!LITTLE_ENDIAN && size > 1) {
    const view = new DataView(bytes, offset, msg.count * size);
    const swapped = new Ctor(new ArrayBuffer(msg.count * size), 0, msg.count);
    for (let k = 0; k < msg.count; k++) {
      (swapped as any)[k] = Private.readLE(view, k * size, msg.dtype);
    }
    return swapped;
  }
  return array;
}

namespace Private {
  export function readLE(
    view: DataView,
    at: number,
    dtype: ValueDType
  ): number | bigint {
    switch (dtype) {
      case 'float32':
        return view.getFloat32(at, true);
      case 'float64':
        return view.getFloat64(at, true);
      case 'int16':
        return view.getInt16(at, true);
      case 'uint16':
        return view.getUint16(at, true);
      case 'int32':
        return view.getInt32(at, true);
      case 'uint32':
        return view.getUint32(at, true);
      case 'int64':
        return view.getBigInt64(at, true);
      case 'uint64':
        return view.getBigUint64(at, true);
      default:
        return view.getUint8(at);
    }
  }
}
