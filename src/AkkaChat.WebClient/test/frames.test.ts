import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, Kind } from "../src/frames";

// Bytes worked out by hand from ../shared/PROTOCOL.md and the protobuf encoding rules.
describe("frames", () => {
  it("encodes PING{nonce=300} as header plus varint field 1", () => {
    expect(Array.from(encodeFrame("PING", { nonce: 300 }))).toEqual([1, 0x04, 0, 3, 0x08, 0xac, 0x02]);
  });

  it("encodes an empty AUTH_REQUEST_CODE as a bare header (all defaults)", () => {
    expect(Array.from(encodeFrame("AUTH_REQUEST_CODE", { phone: "" }))).toEqual([1, 0x01, 0, 0]);
  });

  it("round-trips a SEND with text, kind and media id", () => {
    const body = new TextEncoder().encode("héllo ✓");
    const bytes = encodeFrame("SEND", { client_msg_id: "c-1", to: "+15550000001", kind: Kind.IMAGE, body, media_id: "m" });
    const frame = decodeFrame(bytes);
    expect(frame.name).toBe("SEND");
    expect(frame.message).toEqual({ client_msg_id: "c-1", to: "+15550000001", kind: 2, body, media_id: "m" });
  });

  it("decodes repeated nested GroupMember messages of GROUP_INFO", () => {
    const payload = [0x18 + 2, 1, 0x67, 0x2a, 0x06, 0x0a, 0x02, 0x2b, 0x31, 0x10, 0x01]; // 3: "g", 5: {1: "+1", 2: true}
    const frame = decodeFrame(Uint8Array.from([1, 0xa0, 0, payload.length, ...payload]));
    expect(frame.message.group_id).toBe("g");
    expect(frame.message.members).toEqual([{ phone: "+1", admin: true }]);
  });

  it("decodes 64-bit server times and skips unknown fields", () => {
    const ms = 1_764_633_600_123;
    const bytes = encodeFrame("PONG", { nonce: 7, server_time_ms: ms });
    const withUnknown = Uint8Array.from([...bytes.subarray(0, 3), bytes[3] + 2, ...bytes.subarray(4), 0x78, 0x05]); // field 15 varint
    expect(decodeFrame(withUnknown).message).toEqual({ nonce: 7, server_time_ms: ms });
  });

  it("leaves a frame of an unknown type undecoded, to be ignored", () => {
    expect(decodeFrame(Uint8Array.from([1, 0x7e, 0, 1, 0])).name).toBeUndefined();
  });

  it("refuses a message that is not exactly one frame", () => {
    const ping = encodeFrame("PING", { nonce: 1 });
    expect(() => decodeFrame(Uint8Array.from([...ping, ...ping]))).toThrow(/exactly one frame/);
  });
});
