// Rendering of the chat list, the open chat and the statuses, from the ChatBook's records.
import type { Chat, ChatMessage, StatusPost, Tick } from "./chats";
import { Kind } from "./frames";

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const TICKS: Record<Tick, string> = { pending: "◔", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };

function preview(m: ChatMessage | undefined): string {
  if (!m) return "";
  if (m.kind === Kind.IMAGE) return "Photo";
  if (m.kind === Kind.AUDIO) return "Voice message";
  return m.text;
}

export function renderChatList(chats: Chat[], openChat: string | undefined, open: (id: string) => void): void {
  const list = $("chat-list");
  list.replaceChildren(
    ...chats.map((chat) => {
      const li = document.createElement("li");
      li.dataset.testid = "chat-item";
      li.dataset.chat = chat.id;
      li.classList.toggle("open", chat.id === openChat);
      const left = document.createElement("div");
      const title = document.createElement("div");
      title.textContent = chat.title;
      const last = document.createElement("div");
      last.className = "preview";
      last.textContent = preview(chat.messages.at(-1));
      left.append(title, last);
      li.append(left);
      if (chat.unread > 0) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.dataset.testid = "unread";
        badge.textContent = String(chat.unread);
        li.append(badge);
      }
      li.onclick = () => open(chat.id);
      return li;
    }),
  );
}

export function renderMessages(chat: Chat | undefined, media: (id: string) => Promise<string>): void {
  const list = $("messages");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
  list.replaceChildren(...(chat?.messages ?? []).map((m) => renderMessage(chat!, m, media)));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderMessage(chat: Chat, m: ChatMessage, media: (id: string) => Promise<string>): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.testid = "message";
  li.dataset.status = m.status;
  li.classList.toggle("mine", m.mine);
  if (chat.id.startsWith("g:") && !m.mine) {
    const sender = document.createElement("div");
    sender.className = "sender";
    sender.textContent = m.from;
    li.append(sender);
  }
  if (m.mediaId) li.append(renderMedia(m.kind, m.mediaId, media));
  if (m.text) {
    const text = document.createElement("span");
    text.dataset.testid = "text";
    text.textContent = m.text;
    li.append(text);
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = new Date(m.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + " ";
  if (m.mine) {
    const ticks = document.createElement("span");
    ticks.className = `ticks ${m.status}`;
    ticks.dataset.testid = "ticks";
    ticks.title = m.error ?? m.status;
    ticks.textContent = TICKS[m.status];
    meta.append(ticks);
  }
  li.append(meta);
  return li;
}

function renderMedia(kind: number, mediaId: string, media: (id: string) => Promise<string>): HTMLElement {
  const element = kind === Kind.AUDIO ? document.createElement("audio") : document.createElement("img");
  element.dataset.testid = kind === Kind.AUDIO ? "voice" : "image";
  if (element instanceof HTMLAudioElement) element.controls = true;
  else element.alt = "photo";
  media(mediaId).then(
    (url) => (element.src = url),
    (error) => element.replaceWith(document.createTextNode(`(media ${String((error as Error).message)})`)),
  );
  return element;
}

export function renderStatuses(statuses: StatusPost[], media: (id: string) => Promise<string>): void {
  $("status-list").replaceChildren(
    ...statuses.map((s) => {
      const li = document.createElement("li");
      li.dataset.testid = "status";
      const who = document.createElement("b");
      who.textContent = s.from + ": ";
      li.append(who);
      if (s.mediaId) li.append(renderMedia(s.kind, s.mediaId, media));
      li.append(document.createTextNode(s.text));
      return li;
    }),
  );
}

export function setSubtitle(text: string): void {
  $("chat-subtitle").textContent = text;
}
