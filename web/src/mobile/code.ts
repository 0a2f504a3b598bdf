// Reading a check-in code: the kiosk's QR holds either the bare payload (`XX1.…`) or the
// phone page's URL with the payload in the fragment (`https://host/m/#c=XX1.…`), which
// the system camera or WeChat opens. The page never checks a code itself (the server
// does); it only takes the payload out and reads which site it names, to offer 签到 or
// 签退 and say where.

/** The payload in a scanned or pasted text: the `c` member of a `#c=` fragment, else the text. */
export function payloadOf(text: string): string {
  const trimmed = text.trim();
  const at = trimmed.indexOf('#');
  if (at >= 0) {
    const fragment = new URLSearchParams(trimmed.slice(at + 1));
    const code = fragment.get('c');
    if (code) return code.trim();
  }
  return trimmed;
}

/** The code in this page's own address (`/m/#c=…`), or null. */
export function payloadInHash(hash: string): string | null {
  if (!hash || hash === '#') return null;
  const code = new URLSearchParams(hash.replace(/^#/, '')).get('c');
  return code ? code.trim() : null;
}

/** The site a `XX1.<site>.<r|d>.<step>.<mac>` payload names, as a UUID; null for anything else. */
export function siteOfPayload(payload: string): string | null {
  const parts = payload.split('.');
  if (parts.length !== 5 || parts[0] !== 'XX1' || parts[1].length !== 22) return null;
  let bytes: string;
  try {
    bytes = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/') + '==');
  } catch (_) {
    return null;
  }
  if (bytes.length !== 16) return null;
  const hex = Array.from(bytes, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
