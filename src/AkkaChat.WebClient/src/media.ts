// Media over HTTP on the same port: POST /v1/media and GET /v1/media/{id}, with the device token.
import type { Credentials } from "./session";

function authorization(credentials: Credentials): string {
  return `Bearer ${credentials.phone}:${credentials.token}`;
}

export async function uploadMedia(credentials: Credentials, blob: Blob): Promise<string> {
  const answer = await fetch("/v1/media", {
    method: "POST",
    headers: { Authorization: authorization(credentials), "Content-Type": blob.type || "application/octet-stream" },
    body: blob,
  });
  if (answer.status === 413) throw new Error("the file is larger than the node accepts");
  if (!answer.ok) throw new Error(`upload failed: HTTP ${answer.status}`);
  const json = (await answer.json()) as { media_id: string; expires_at_ms: number };
  return json.media_id;
}

const cache = new Map<string, Promise<string>>();

/** An object URL of the medium (fetched once per page; the header rules out a plain <img src>). */
export function mediaUrl(credentials: Credentials, mediaId: string): Promise<string> {
  let url = cache.get(mediaId);
  if (!url) {
    url = fetch(`/v1/media/${encodeURIComponent(mediaId)}`, { headers: { Authorization: authorization(credentials) } }).then(
      async (answer) => {
        if (answer.status === 404) throw new Error("expired");
        if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
        return URL.createObjectURL(await answer.blob());
      },
    );
    url.catch(() => cache.delete(mediaId));
    cache.set(mediaId, url);
  }
  return url;
}
