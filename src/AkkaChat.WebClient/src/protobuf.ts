// A small proto3 codec for the payloads of ../shared/PROTOCOL.md: each message is described by a
// schema (field number -> name and type), enough for strings, bytes, varints, bools, repeated
// strings and repeated nested messages. Unknown fields are skipped, as proto3 requires.

export type FieldType = "string" | "bytes" | "uint" | "bool" | "strings" | { repeated: Schema };
export type Schema = Record<number, [name: string, type: FieldType]>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = Record<string, any>;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

class Writer {
  private bytes: number[] = [];

  varint(value: number | bigint): void {
    let v = BigInt(value);
    if (v < 0n) v = BigInt.asUintN(64, v); // int64 carried as two's complement, 10 bytes
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      this.bytes.push(b);
    } while (v !== 0n);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  lengthDelimited(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export function encode(schema: Schema, message: Message): Uint8Array {
  const w = new Writer();
  for (const [no, [name, type]] of Object.entries(schema).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const field = Number(no);
    const value = message[name];
    if (value === undefined || value === null) continue;
    if (type === "string") {
      if (value !== "") w.lengthDelimited(field, utf8.encode(value));
    } else if (type === "bytes") {
      if (value.length > 0) w.lengthDelimited(field, value);
    } else if (type === "uint") {
      if (value !== 0 && value !== 0n) {
        w.tag(field, 0);
        w.varint(value);
      }
    } else if (type === "bool") {
      if (value) {
        w.tag(field, 0);
        w.varint(1);
      }
    } else if (type === "strings") {
      for (const s of value as string[]) w.lengthDelimited(field, utf8.encode(s));
    } else {
      for (const item of value as Message[]) w.lengthDelimited(field, encode(type.repeated, item));
    }
  }
  return w.finish();
}

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new Error("truncated varint");
      const b = this.bytes[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error("varint too long");
    }
  }

  take(length: number): Uint8Array {
    if (this.pos + length > this.bytes.length) throw new Error("truncated field");
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.take(8);
    else if (wireType === 2) this.take(Number(this.varint()));
    else if (wireType === 5) this.take(4);
    else throw new Error(`wire type ${wireType} not supported`);
  }
}

/** Decodes `bytes` with `schema`; absent fields get proto3 defaults. Numbers above 2^53 lose precision. */
export function decode(schema: Schema, bytes: Uint8Array): Message {
  const message: Message = {};
  for (const [name, type] of Object.values(schema)) message[name] = defaultOf(type);
  const r = new Reader(bytes);
  while (!r.done) {
    const key = Number(r.varint());
    const field = key >>> 3;
    const wireType = key & 7;
    const entry = schema[field];
    if (!entry) {
      r.skip(wireType);
      continue;
    }
    const [name, type] = entry;
    if (type === "uint" || type === "bool") {
      if (wireType !== 0) throw new Error(`field ${name}: wire type ${wireType}, varint expected`);
      const v = r.varint();
      message[name] = type === "bool" ? v !== 0n : Number(BigInt.asIntN(64, v));
      continue;
    }
    if (wireType !== 2) throw new Error(`field ${name}: wire type ${wireType}, length-delimited expected`);
    const data = r.take(Number(r.varint()));
    if (type === "string") message[name] = fromUtf8.decode(data);
    else if (type === "bytes") message[name] = data.slice();
    else if (type === "strings") message[name].push(fromUtf8.decode(data));
    else message[name].push(decode(type.repeated, data));
  }
  return message;
}

function defaultOf(type: FieldType): unknown {
  switch (type) {
    case "string":
      return "";
    case "bytes":
      return new Uint8Array();
    case "uint":
      return 0;
    case "bool":
      return false;
    default:
      return [];
  }
}
