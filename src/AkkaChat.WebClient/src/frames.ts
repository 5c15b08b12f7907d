// The frame table of ../shared/PROTOCOL.md: type codes and payload schemas, and the 4-byte header.
// Over WebSocket each binary message is exactly one frame.
import { decode, encode, type Message, type Schema } from "./protobuf";

export const VERSION = 1;
export const HEADER_SIZE = 4;

const member: Schema = { 1: ["phone", "string"], 2: ["admin", "bool"] };

export const FrameTypes = {
  AUTH_REQUEST_CODE: 0x01,
  AUTH_VERIFY: 0x02,
  AUTH_LOGIN: 0x03,
  PING: 0x04,
  SEND: 0x10,
  ACK: 0x11,
  READ: 0x12,
  TYPING: 0x13,
  PRESENCE_SUBSCRIBE: 0x14,
  CONTACTS_SYNC: 0x15,
  GROUP_CREATE: 0x20,
  GROUP_UPDATE: 0x21,
  GROUP_GET: 0x22,
  STATUS_POST: 0x28,
  AUTH_CODE_SENT: 0x81,
  AUTH_OK: 0x82,
  PONG: 0x84,
  ERROR: 0x8f,
  SEND_ACK: 0x90,
  DELIVER: 0x91,
  RECEIPT: 0x92,
  TYPING_NOTIFY: 0x93,
  PRESENCE: 0x94,
  CONTACTS_RESULT: 0x95,
  GROUP_INFO: 0xa0,
  STATUS_UPDATE: 0xa8,
} as const;

export type FrameName = keyof typeof FrameTypes;

export const Schemas: Record<FrameName, Schema> = {
  AUTH_REQUEST_CODE: { 1: ["phone", "string"] },
  AUTH_VERIFY: { 1: ["phone", "string"], 2: ["code", "string"], 3: ["device_name", "string"] },
  AUTH_LOGIN: { 1: ["phone", "string"], 2: ["token", "bytes"] },
  PING: { 1: ["nonce", "uint"] },
  SEND: { 1: ["client_msg_id", "string"], 2: ["to", "string"], 3: ["kind", "uint"], 4: ["body", "bytes"], 5: ["media_id", "string"] },
  ACK: { 1: ["up_to_seq", "uint"] },
  READ: { 1: ["from", "string"], 2: ["server_msg_ids", "strings"] },
  TYPING: { 1: ["to", "string"], 2: ["state", "uint"] },
  PRESENCE_SUBSCRIBE: { 1: ["phones", "strings"] },
  CONTACTS_SYNC: { 1: ["phones", "strings"] },
  GROUP_CREATE: { 1: ["request_id", "string"], 2: ["subject", "string"], 3: ["members", "strings"] },
  GROUP_UPDATE: {
    1: ["request_id", "string"], 2: ["group_id", "string"], 3: ["add", "strings"], 4: ["remove", "strings"],
    5: ["promote", "strings"], 6: ["subject", "string"], 7: ["leave", "bool"],
  },
  GROUP_GET: { 1: ["request_id", "string"], 2: ["group_id", "string"] },
  STATUS_POST: { 1: ["request_id", "string"], 2: ["kind", "uint"], 3: ["body", "bytes"], 4: ["media_id", "string"] },
  AUTH_CODE_SENT: { 1: ["expires_in_s", "uint"], 2: ["dev_code", "string"] },
  AUTH_OK: { 1: ["token", "bytes"], 2: ["server_time_ms", "uint"], 3: ["node", "string"], 4: ["pending", "uint"] },
  PONG: { 1: ["nonce", "uint"], 2: ["server_time_ms", "uint"] },
  ERROR: { 1: ["code", "uint"], 2: ["message", "string"], 3: ["ref", "string"] },
  SEND_ACK: { 1: ["client_msg_id", "string"], 2: ["server_msg_id", "string"], 3: ["server_time_ms", "uint"] },
  DELIVER: {
    1: ["seq", "uint"], 2: ["server_msg_id", "string"], 3: ["from", "string"], 4: ["group_id", "string"],
    5: ["kind", "uint"], 6: ["body", "bytes"], 7: ["media_id", "string"], 8: ["sent_at_ms", "uint"],
  },
  RECEIPT: {
    1: ["seq", "uint"], 2: ["server_msg_id", "string"], 3: ["client_msg_id", "string"], 4: ["status", "uint"],
    5: ["by", "string"], 6: ["at_ms", "uint"], 7: ["group_id", "string"],
  },
  TYPING_NOTIFY: { 1: ["from", "string"], 2: ["state", "uint"], 3: ["group_id", "string"] },
  PRESENCE: { 1: ["phone", "string"], 2: ["online", "bool"], 3: ["last_seen_ms", "uint"] },
  CONTACTS_RESULT: { 1: ["registered", "strings"] },
  GROUP_INFO: {
    1: ["seq", "uint"], 2: ["request_id", "string"], 3: ["group_id", "string"], 4: ["subject", "string"],
    5: ["members", { repeated: member }], 6: ["version", "uint"],
  },
  STATUS_UPDATE: {
    1: ["seq", "uint"], 2: ["from", "string"], 3: ["status_id", "string"], 4: ["kind", "uint"], 5: ["body", "bytes"],
    6: ["media_id", "string"], 7: ["posted_at_ms", "uint"], 8: ["expires_at_ms", "uint"],
  },
};

const namesByCode = new Map<number, FrameName>(Object.entries(FrameTypes).map(([name, code]) => [code, name as FrameName]));

export const Kind = { TEXT: 1, IMAGE: 2, AUDIO: 3, VIDEO: 4, DOCUMENT: 5, LOCATION: 6, CONTACT: 7 } as const;
export const ReceiptStatus = { DELIVERED: 2, READ: 3 } as const;
export const TypingState = { PAUSED: 0, COMPOSING: 1, RECORDING: 2 } as const;
export const ErrorCode = {
  UNSUPPORTED_VERSION: 1, UNKNOWN_TYPE: 2, MALFORMED: 3, UNAUTHENTICATED: 4, AUTH_FAILED: 5, BAD_REQUEST: 6,
  RATE_LIMITED: 7, NOT_FOUND: 8, FORBIDDEN: 9, REPLACED: 10, TOO_LARGE: 11, INTERNAL: 12, OVERLOADED: 13, IDLE_TIMEOUT: 14,
} as const;

/** One frame: version, type, big-endian payload length, payload. */
export function encodeFrame(name: FrameName, message: Message): Uint8Array {
  const payload = encode(Schemas[name], message);
  if (payload.length > 0xffff) throw new Error(`${name} payload is ${payload.length} bytes; a frame holds at most 65535`);
  const frame = new Uint8Array(HEADER_SIZE + payload.length);
  frame[0] = VERSION;
  frame[1] = FrameTypes[name];
  frame[2] = payload.length >> 8;
  frame[3] = payload.length & 0xff;
  frame.set(payload, HEADER_SIZE);
  return frame;
}

export interface Frame {
  /** The frame's name, or undefined for a type code this client does not know (it is ignored). */
  name: FrameName | undefined;
  code: number;
  message: Message;
}

/** Decodes one whole WebSocket message, which must be exactly one frame. */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length < HEADER_SIZE) throw new Error("a frame has a 4-byte header");
  if (bytes[0] !== VERSION) throw new Error(`protocol version ${bytes[0]}`);
  const length = (bytes[2] << 8) | bytes[3];
  if (HEADER_SIZE + length !== bytes.length) throw new Error("the message is not exactly one frame");
  const code = bytes[1];
  const name = namesByCode.get(code);
  return { name, code, message: name ? decode(Schemas[name], bytes.subarray(HEADER_SIZE)) : {} };
}
