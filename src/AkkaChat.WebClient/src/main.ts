// The web client's controller: registration, then one Session whose frames update the ChatBook,
// and a view rendered from it. Typing, presence, groups and statuses use the protocol's frames;
// a node that does not serve one of them answers UNKNOWN_TYPE, which the client ignores.
import { ChatBook, type Chat, type ChatMessage } from "./chats";
import { ErrorCode, Kind, TypingState, type Frame } from "./frames";
import { mediaUrl, uploadMedia } from "./media";
import { Registration, Session, type Credentials } from "./session";
import { $, renderChatList, renderMessages, renderStatuses, setSubtitle } from "./view";

const CREDENTIALS_KEY = "akkachat.credentials";
const TYPING_SHOWN_MS = 6_000;
const TYPING_RESEND_MS = 3_000;
const PHONE = /^\+[0-9]{8,15}$/;

let credentials: Credentials | undefined = JSON.parse(localStorage.getItem(CREDENTIALS_KEY) ?? "null") ?? undefined;
let book: ChatBook;
let session: Session;
let openChat: string | undefined;
const typingUntil = new Map<string, { who: string; until: number; recording: boolean }>();
const presence = new Map<string, { online: boolean; lastSeen: number }>();
let lastTypingSent = 0;

if (credentials) startApp(credentials);
else showRegister();

// ---- registration ----

function showRegister(): void {
  $("register").hidden = false;
  $("app").hidden = true;
  const registration = new Registration();
  let phone = "";
  $<HTMLFormElement>("request-form").onsubmit = async (e) => {
    e.preventDefault();
    phone = $<HTMLInputElement>("phone").value.trim();
    $("register-error").textContent = "";
    if (!PHONE.test(phone)) {
      $("register-error").textContent = "A phone number is + and 8 to 15 digits.";
      return;
    }
    try {
      const sent = await registration.requestCode(phone);
      $("verify-form").hidden = false;
      $("code-hint").textContent = `A code was sent to ${phone}; it is valid ${Math.round(sent.expiresInS / 60)} minutes.`;
      $("dev-code-line").hidden = !sent.devCode;
      $("dev-code").textContent = sent.devCode;
      $<HTMLInputElement>("code").focus();
    } catch (error) {
      $("register-error").textContent = String((error as Error).message);
    }
  };
  $<HTMLFormElement>("verify-form").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const fresh = await registration.verify(phone, $<HTMLInputElement>("code").value.trim());
      localStorage.setItem(CREDENTIALS_KEY, JSON.stringify(fresh));
      credentials = fresh;
      startApp(fresh);
    } catch (error) {
      $("register-error").textContent = String((error as Error).message);
    }
  };
}

// ---- the session ----

function startApp(me: Credentials): void {
  $("register").hidden = true;
  $("app").hidden = false;
  $("me").textContent = me.phone;
  book = new ChatBook(`akkachat.chats.${me.phone}`);
  session = new Session(me, {
    online: (node) => {
      setConnection(`online · ${node}`, true);
      const phones = book.chats.filter((c) => !c.id.startsWith("g:")).map((c) => c.id);
      if (phones.length) {
        session.send("CONTACTS_SYNC", { phones });
        session.send("PRESENCE_SUBSCRIBE", { phones });
      }
      for (const { chatId, message } of book.pending()) sendMessage(chatId, message);
      reportRead();
    },
    offline: (reason) => setConnection(`offline: ${reason}`, false),
    frame: handleFrame,
    ended: (code, message) => {
      if (code === ErrorCode.AUTH_FAILED) {
        localStorage.removeItem(CREDENTIALS_KEY);
        location.reload();
      } else {
        setConnection(`signed in elsewhere: ${message}`, false);
      }
    },
  });
  session.start();
  wireControls(me);
  render();
  window.setInterval(renderSubtitle, 1_000);
}

function handleFrame(frame: Frame): void {
  const m = frame.message;
  switch (frame.name) {
    case "SEND_ACK":
      book.acknowledged(m.client_msg_id, m.server_msg_id, m.server_time_ms);
      break;
    case "DELIVER": {
      const chatId = m.group_id ? `g:${m.group_id}` : m.from;
      const text = m.kind === Kind.TEXT || !m.media_id ? new TextDecoder().decode(m.body) : "";
      const isNew = book.addReceived(chatId, { serverMsgId: m.server_msg_id, from: m.from, kind: m.kind, text, mediaId: m.media_id || undefined, at: m.sent_at_ms || Date.now() }, isVisible(chatId));
      typingUntil.delete(chatId);
      if (isNew && !m.group_id && !presence.has(m.from)) session.send("PRESENCE_SUBSCRIBE", { phones: [m.from] });
      reportRead();
      break;
    }
    case "RECEIPT":
      book.receipt(m.server_msg_id, m.status);
      break;
    case "ERROR":
      if (m.ref && m.code !== ErrorCode.UNKNOWN_TYPE) book.failed(m.ref, m.message);
      break;
    case "TYPING_NOTIFY": {
      const chatId = m.group_id ? `g:${m.group_id}` : m.from;
      if (m.state === TypingState.PAUSED) typingUntil.delete(chatId);
      else typingUntil.set(chatId, { who: m.from, until: Date.now() + TYPING_SHOWN_MS, recording: m.state === TypingState.RECORDING });
      renderSubtitle();
      return;
    }
    case "PRESENCE":
      presence.set(m.phone, { online: m.online, lastSeen: m.last_seen_ms });
      renderSubtitle();
      return;
    case "GROUP_INFO":
      book.setGroup(m.group_id, m.subject, m.members);
      break;
    case "STATUS_UPDATE":
      book.addStatus({
        id: m.status_id, from: m.from, kind: m.kind, text: new TextDecoder().decode(m.body), mediaId: m.media_id || undefined,
        postedAt: m.posted_at_ms, expiresAt: m.expires_at_ms,
      });
      break;
    default:
      return;
  }
  render();
}

function sendMessage(chatId: string, message: ChatMessage): void {
  session.send("SEND", {
    client_msg_id: message.key,
    to: chatId,
    kind: message.kind,
    body: new TextEncoder().encode(message.text),
    media_id: message.mediaId ?? "",
  });
}

function compose(kind: number, text: string, mediaId?: string): void {
  if (!openChat) return;
  const message = book.addOwn(openChat, credentials!.phone, kind, text, mediaId);
  sendMessage(openChat, message); // if offline it stays pending and is sent after the next login
  if (lastTypingSent > 0) session.send("TYPING", { to: openChat, state: TypingState.PAUSED });
  lastTypingSent = 0;
  render();
}

/** READ for what the open chat shows, once the page is visible. */
function reportRead(): void {
  if (!openChat || document.visibilityState !== "visible" || !session.isOnline) return;
  for (const [from, ids] of book.takeUnreported(openChat)) session.send("READ", { from, server_msg_ids: ids });
}

function isVisible(chatId: string): boolean {
  return openChat === chatId && document.visibilityState === "visible";
}

// ---- controls ----

function wireControls(me: Credentials): void {
  $<HTMLFormElement>("new-chat-form").onsubmit = (e) => {
    e.preventDefault();
    const phone = $<HTMLInputElement>("new-chat-phone").value.trim();
    if (!PHONE.test(phone)) return;
    book.chat(phone);
    book.save();
    session.send("CONTACTS_SYNC", { phones: book.chats.filter((c) => !c.id.startsWith("g:")).map((c) => c.id) });
    session.send("PRESENCE_SUBSCRIBE", { phones: [phone] });
    $<HTMLInputElement>("new-chat-phone").value = "";
    open(phone);
  };
  $<HTMLFormElement>("new-group-form").onsubmit = (e) => {
    e.preventDefault();
    const subject = $<HTMLInputElement>("group-subject").value.trim();
    const members = $<HTMLInputElement>("group-members").value.split(/[\s,]+/).filter((p) => PHONE.test(p));
    if (!subject || members.length === 0) return;
    session.send("GROUP_CREATE", { request_id: book.newId("g"), subject, members });
    $<HTMLInputElement>("group-subject").value = "";
    $<HTMLInputElement>("group-members").value = "";
  };
  $<HTMLFormElement>("composer").onsubmit = (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>("text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    compose(Kind.TEXT, text);
  };
  $<HTMLInputElement>("text").oninput = () => {
    if (openChat && Date.now() - lastTypingSent > TYPING_RESEND_MS) {
      lastTypingSent = Date.now();
      session.send("TYPING", { to: openChat, state: TypingState.COMPOSING });
    }
  };
  $<HTMLInputElement>("attach").onchange = async (e) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (file) await sendMedia(me, file, Kind.IMAGE);
  };
  wireRecorder(me);
  $<HTMLFormElement>("status-form").onsubmit = (e) => {
    e.preventDefault();
    const text = $<HTMLInputElement>("status-text").value.trim();
    if (!text) return;
    const id = book.newId("s");
    session.send("STATUS_POST", { request_id: id, kind: Kind.TEXT, body: new TextEncoder().encode(text), media_id: "" });
    book.addStatus({ id, from: me.phone, kind: Kind.TEXT, text, postedAt: Date.now(), expiresAt: Date.now() + 86_400_000 });
    $<HTMLInputElement>("status-text").value = "";
    render();
  };
  $("tab-chats").onclick = () => showTab(false);
  $("tab-status").onclick = () => showTab(true);
  document.addEventListener("visibilitychange", () => {
    reportRead();
    render();
  });
}

async function sendMedia(me: Credentials, blob: Blob, kind: number): Promise<void> {
  try {
    const mediaId = await uploadMedia(me, blob);
    compose(kind, "", mediaId);
  } catch (error) {
    alert(String((error as Error).message));
  }
}

/** Voice messages: press to record (TYPING RECORDING), press again to send. */
function wireRecorder(me: Credentials): void {
  let recorder: MediaRecorder | undefined;
  const button = $("record");
  button.onclick = async () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const chunks: Blob[] = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = async () => {
      stream.getTracks().forEach((t) => t.stop());
      button.classList.remove("recording");
      const type = recorder!.mimeType || "audio/webm";
      recorder = undefined;
      await sendMedia(me, new Blob(chunks, { type }), Kind.AUDIO);
    };
    recorder.start();
    button.classList.add("recording");
    if (openChat) session.send("TYPING", { to: openChat, state: TypingState.RECORDING });
  };
}

function showTab(status: boolean): void {
  $("chats-pane").hidden = status;
  $("status-pane").hidden = !status;
  $("tab-chats").classList.toggle("active", !status);
  $("tab-status").classList.toggle("active", status);
}

function open(chatId: string): void {
  openChat = chatId;
  $("composer").hidden = false;
  reportRead();
  render();
  $<HTMLInputElement>("text").focus();
}

// ---- rendering ----

function setConnection(text: string, online: boolean): void {
  const el = $("connection");
  el.textContent = text;
  el.classList.toggle("online", online);
}

function render(): void {
  renderChatList(book.chats, openChat, open);
  const chat: Chat | undefined = openChat ? book.chat(openChat) : undefined;
  $("chat-title").textContent = chat ? chat.title : "Pick a chat";
  renderMessages(chat, (id) => mediaUrl(credentials!, id));
  renderStatuses(book.statuses, (id) => mediaUrl(credentials!, id));
  renderSubtitle();
}

function renderSubtitle(): void {
  if (!openChat) return setSubtitle("");
  const typing = typingUntil.get(openChat);
  if (typing && typing.until > Date.now()) {
    const who = openChat.startsWith("g:") ? `${typing.who} is ` : "";
    return setSubtitle(`${who}${typing.recording ? "recording audio…" : "typing…"}`);
  }
  const chat = book.chat(openChat);
  if (chat.members) return setSubtitle(chat.members.map((m) => m.phone + (m.admin ? " (admin)" : "")).join(", "));
  const seen = presence.get(openChat);
  if (!seen) return setSubtitle("");
  setSubtitle(seen.online ? "online" : seen.lastSeen ? `last seen ${new Date(seen.lastSeen).toLocaleString()}` : "");
}
