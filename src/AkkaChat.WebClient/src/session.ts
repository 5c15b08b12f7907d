// One WebSocket session with the node: login with the stored device token (or registration),
// keep-alive, reconnection with backoff, and the delivery rules of ../shared/PROTOCOL.md:
// queued items are handed to the app and acknowledged only after the app has stored them.
import { decodeFrame, encodeFrame, ErrorCode, type Frame, type FrameName } from "./frames";
import type { Message } from "./protobuf";

export interface Credentials {
  phone: string;
  token: string; // base64
}

export interface SessionEvents {
  /** Logged in (again): resend what is pending, subscribe to presence. */
  online(node: string): void;
  offline(reason: string): void;
  /** A server frame after login. Return once its effect is stored: queued items are then ACKed. */
  frame(frame: Frame): void;
  /** The node refused the stored token or replaced this session: log out, or stop reconnecting. */
  ended(code: number, message: string): void;
}

const PING_INTERVAL_MS = 60_000;

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function webSocketUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/v1/ws`;
}

/** A connection used only to register: AUTH_REQUEST_CODE, then AUTH_VERIFY. */
export class Registration {
  private socket: WebSocket | undefined;
  private waiting: ((frame: Frame) => void) | undefined;

  async requestCode(phone: string): Promise<{ expiresInS: number; devCode: string }> {
    await this.open();
    const answer = await this.exchange("AUTH_REQUEST_CODE", { phone });
    if (answer.name !== "AUTH_CODE_SENT") throw new Error(errorText(answer));
    return { expiresInS: answer.message.expires_in_s, devCode: answer.message.dev_code };
  }

  async verify(phone: string, code: string): Promise<Credentials> {
    await this.open();
    const answer = await this.exchange("AUTH_VERIFY", { phone, code, device_name: deviceName() });
    this.close();
    if (answer.name !== "AUTH_OK") throw new Error(errorText(answer));
    return { phone, token: toBase64(answer.message.token) };
  }

  close(): void {
    this.socket?.close(1000);
    this.socket = undefined;
  }

  private open(): Promise<void> {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(webSocketUrl());
      socket.binaryType = "arraybuffer";
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error("cannot reach the node"));
      socket.onclose = () => (this.socket = undefined);
      socket.onmessage = (e) => this.waiting?.(decodeFrame(new Uint8Array(e.data as ArrayBuffer)));
      this.socket = socket;
    });
  }

  private exchange(name: FrameName, message: Message): Promise<Frame> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket!.send(encodeFrame(name, message));
    });
  }
}

export class Session {
  private socket: WebSocket | undefined;
  private loggedIn = false;
  private stopped = false;
  private attempt = 0;
  private pingTimer: number | undefined;

  constructor(private readonly credentials: Credentials, private readonly events: SessionEvents) {}

  get isOnline(): boolean {
    return this.loggedIn;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close(1000);
  }

  /** Sends a frame if logged in; false otherwise (the caller keeps it pending). */
  send(name: FrameName, message: Message): boolean {
    if (!this.loggedIn || !this.socket) return false;
    this.socket.send(encodeFrame(name, message));
    return true;
  }

  private connect(): void {
    const socket = new WebSocket(webSocketUrl());
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () =>
      socket.send(encodeFrame("AUTH_LOGIN", { phone: this.credentials.phone, token: fromBase64(this.credentials.token) }));
    socket.onmessage = (e) => this.receive(decodeFrame(new Uint8Array(e.data as ArrayBuffer)));
    socket.onclose = (e) => {
      const was = this.loggedIn;
      this.loggedIn = false;
      window.clearInterval(this.pingTimer);
      if (was || this.attempt === 0) this.events.offline(e.reason || `closed (${e.code})`);
      if (!this.stopped) {
        // Exponential backoff with jitter, 0.5 s up to 30 s.
        const delay = Math.min(30_000, 500 * 2 ** Math.min(this.attempt++, 6)) * (0.5 + Math.random() / 2);
        window.setTimeout(() => this.connect(), delay);
      }
    };
  }

  private receive(frame: Frame): void {
    if (frame.name === "AUTH_OK") {
      this.loggedIn = true;
      this.attempt = 0;
      this.pingTimer = window.setInterval(() => this.send("PING", { nonce: Date.now() }), PING_INTERVAL_MS);
      this.events.online(frame.message.node);
      return;
    }
    if (frame.name === "ERROR" && (frame.message.code === ErrorCode.AUTH_FAILED || frame.message.code === ErrorCode.REPLACED)) {
      this.stopped = true;
      this.events.ended(frame.message.code, frame.message.message);
      return;
    }
    if (!this.loggedIn || frame.name === undefined || frame.name === "PONG") return;
    this.events.frame(frame);
    if (typeof frame.message.seq === "number" && frame.message.seq > 0) {
      // The app has stored the item (frame() returned): acknowledge it, so the node deletes it.
      this.send("ACK", { up_to_seq: frame.message.seq });
    }
  }
}

function errorText(frame: Frame): string {
  return frame.name === "ERROR" ? `${frame.message.message} (error ${frame.message.code})` : `unexpected ${frame.name}`;
}

function deviceName(): string {
  const ua = navigator.userAgent;
  return ua.includes("Chrome") ? "Chrome (web)" : ua.includes("Firefox") ? "Firefox (web)" : "Browser (web)";
}
