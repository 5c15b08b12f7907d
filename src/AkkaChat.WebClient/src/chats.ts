// The client's own record of its chats. The node is a relay, not an archive: once a queued item is
// acknowledged the node forgets it, so everything the user sees lives here (localStorage, per phone).

export type Tick = "pending" | "sent" | "delivered" | "read" | "failed";

export interface ChatMessage {
  key: string; // client_msg_id for own messages, server_msg_id for received ones
  serverMsgId?: string;
  from: string;
  mine: boolean;
  kind: number;
  text: string;
  mediaId?: string;
  at: number;
  status: Tick;
  readSent?: boolean;
  error?: string;
}

export interface GroupMember {
  phone: string;
  admin: boolean;
}

export interface Chat {
  id: string; // a phone, or g:GROUP_ID
  title: string;
  messages: ChatMessage[];
  unread: number;
  members?: GroupMember[];
}

export interface StatusPost {
  id: string;
  from: string;
  kind: number;
  text: string;
  mediaId?: string;
  postedAt: number;
  expiresAt: number;
}

export interface Stored {
  chats: Record<string, Chat>;
  statuses: StatusPost[];
  nextId: number;
}

const RANK: Record<Tick, number> = { failed: -1, pending: 0, sent: 1, delivered: 2, read: 3 };

export class ChatBook {
  private data: Stored;

  constructor(private readonly storageKey: string) {
    const raw = localStorage.getItem(storageKey);
    this.data = raw ? (JSON.parse(raw) as Stored) : { chats: {}, statuses: [], nextId: 1 };
  }

  get chats(): Chat[] {
    const last = (c: Chat) => c.messages.at(-1)?.at ?? 0;
    return Object.values(this.data.chats).sort((a, b) => last(b) - last(a));
  }

  get statuses(): StatusPost[] {
    const now = Date.now();
    return this.data.statuses.filter((s) => s.expiresAt > now).sort((a, b) => b.postedAt - a.postedAt);
  }

  chat(id: string): Chat {
    let chat = this.data.chats[id];
    if (!chat) {
      chat = { id, title: id, messages: [], unread: 0 };
      this.data.chats[id] = chat;
    }
    return chat;
  }

  has(id: string): boolean {
    return id in this.data.chats;
  }

  newId(prefix: string): string {
    return `${prefix}-${Date.now().toString(36)}-${(this.data.nextId++).toString(36)}`;
  }

  /** Adds an own message, pending until its SEND_ACK. */
  addOwn(chatId: string, from: string, kind: number, text: string, mediaId?: string): ChatMessage {
    const message: ChatMessage = { key: this.newId("m"), from, mine: true, kind, text, mediaId, at: Date.now(), status: "pending" };
    this.chat(chatId).messages.push(message);
    this.save();
    return message;
  }

  /** A DELIVER: added once (deliveries are at-least-once; duplicates carry the same server_msg_id). */
  addReceived(chatId: string, message: Omit<ChatMessage, "key" | "mine" | "status">, open: boolean): boolean {
    const chat = this.chat(chatId);
    if (chat.messages.some((m) => m.serverMsgId === message.serverMsgId)) return false;
    chat.messages.push({ ...message, key: message.serverMsgId!, mine: false, status: "delivered" });
    chat.messages.sort((a, b) => a.at - b.at);
    if (!open) chat.unread++;
    this.save();
    return true;
  }

  acknowledged(clientMsgId: string, serverMsgId: string, at: number): void {
    const found = this.findOwn((m) => m.key === clientMsgId);
    if (found) {
      found.serverMsgId = serverMsgId;
      found.at = at || found.at;
      this.raise(found, "sent");
    }
  }

  failed(clientMsgId: string, error: string): void {
    const found = this.findOwn((m) => m.key === clientMsgId);
    if (found && found.status === "pending") {
      found.status = "failed";
      found.error = error;
      this.save();
    }
  }

  receipt(serverMsgId: string, status: number): void {
    const found = this.findOwn((m) => m.serverMsgId === serverMsgId);
    if (found) this.raise(found, status === 3 ? "read" : "delivered");
  }

  pending(): Array<{ chatId: string; message: ChatMessage }> {
    return Object.values(this.data.chats).flatMap((c) =>
      c.messages.filter((m) => m.mine && m.status === "pending").map((message) => ({ chatId: c.id, message })),
    );
  }

  /** Received messages of an open chat not yet reported READ, grouped by sender; marks them reported. */
  takeUnreported(chatId: string): Map<string, string[]> {
    const chat = this.chat(chatId);
    chat.unread = 0;
    const bySender = new Map<string, string[]>();
    for (const m of chat.messages) {
      if (!m.mine && !m.readSent && m.serverMsgId) {
        m.readSent = true;
        bySender.set(m.from, [...(bySender.get(m.from) ?? []), m.serverMsgId]);
      }
    }
    this.save();
    return bySender;
  }

  setGroup(groupId: string, subject: string, members: GroupMember[]): void {
    const chat = this.chat(`g:${groupId}`);
    chat.title = subject || chat.title;
    chat.members = members;
    this.save();
  }

  addStatus(status: StatusPost): void {
    if (!this.data.statuses.some((s) => s.id === status.id)) this.data.statuses.push(status);
    this.save();
  }

  save(): void {
    localStorage.setItem(this.storageKey, JSON.stringify(this.data));
  }

  private findOwn(match: (m: ChatMessage) => boolean): ChatMessage | undefined {
    for (const chat of Object.values(this.data.chats)) {
      const found = chat.messages.find((m) => m.mine && match(m));
      if (found) return found;
    }
    return undefined;
  }

  private raise(message: ChatMessage, to: Tick): void {
    if (RANK[to] > RANK[message.status]) message.status = to;
    this.save();
  }
}
