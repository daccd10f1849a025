import { SECRET_PLACEHOLDER } from './define.ts';

/**
 * Credentials inside target URLs (webhook url, ntfy serverUrl, trigger url):
 *
 * - reads (every role): the userinfo password becomes the placeholder (the user
 *   name stays) and so does the value of every query (or fragment) parameter
 *   whose name looks secret - `maskUrl`;
 * - updates: the masked form of the stored URL keeps the stored URL; a URL that
 *   still holds the placeholder as its password or as a secret parameter's value
 *   takes the stored value only for the same scheme, host, port and user name
 *   (the credential never moves to another origin), and is refused otherwise -
 *   `resolveMaskedUrl`;
 * - error texts (Delivery.error, lastError): the userinfo is removed and secret
 *   parameters masked in every URL they name - `redactUrl`, `redactUrlsInText`.
 */

/** Words that make a parameter name secret ("access_token", "apiKey", "X-Amz-Signature", "sig"). */
const SECRET_WORDS = new Set([
  'token',
  'key',
  'apikey',
  'secret',
  'password',
  'passwd',
  'pwd',
  'pass',
  'sig',
  'signature',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'jwt',
  'session',
  'accesstoken',
  'authtoken',
]);

/** isSecretParamName: does a query parameter's name look like it carries a secret? (whole words, any case) */
export function isSecretParamName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    // keep the raw name
  }
  if (SECRET_WORDS.has(decoded.toLowerCase())) return true;
  const words = decoded
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2') // apiKey -> api Key
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2') // XMLToken -> XML Token
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => SECRET_WORDS.has(w));
}

function decodeValue(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** maskParams masks secret parameter values in a `?query` or `#fragment` (the leading character kept). */
function maskParams(section: string, replacement = SECRET_PLACEHOLDER): string {
  if (section.length <= 1) return section;
  const parts = section
    .slice(1)
    .split('&')
    .map((part) => {
      const at = part.indexOf('=');
      if (at <= 0 || at === part.length - 1) return part;
      const name = part.slice(0, at);
      return isSecretParamName(name) ? `${name}=${replacement}` : part;
    });
  return section[0] + parts.join('&');
}

function parse(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/** maskUrl: a stored URL as the API shows it - password and secret parameter values replaced by the placeholder. */
export function maskUrl(raw: string): string {
  const u = parse(raw);
  if (!u) return redactLoose(raw, SECRET_PLACEHOLDER);
  const search = maskParams(u.search);
  const hash = maskParams(u.hash);
  if (!u.password && search === u.search && hash === u.hash) return raw; // nothing secret: shown exactly as stored
  if (u.password) u.password = SECRET_PLACEHOLDER;
  if (search !== u.search) u.search = search;
  if (hash !== u.hash) u.hash = hash;
  return u.href;
}

/** redactLoose handles a string that is not a URL: `user:password@` after `//` (the user name kept when userinfo is given) and secret parameters. */
function redactLoose(raw: string, userinfo: string | null): string {
  // the authority ends at the first / \\ ? #; its userinfo runs to the last @ in it
  let out = raw.replace(/^((?:[a-z][a-z0-9+.-]*:)?[/\\]{2})([^/\\?#]*)@/i, (_m, prefix: string, info: string) => {
    if (userinfo === null) return prefix;
    const colon = info.indexOf(':');
    return colon < 0 ? `${prefix}${info}@` : `${prefix}${info.slice(0, colon)}:${userinfo}@`;
  });
  const q = out.search(/[?#]/);
  if (q >= 0) {
    const hashAt = out[q] === '#' ? q : out.indexOf('#', q);
    const query = hashAt === q ? '' : out.slice(q, hashAt < 0 ? undefined : hashAt);
    const hash = hashAt < 0 ? '' : out.slice(hashAt);
    out = out.slice(0, q) + maskParams(query) + maskParams(hash);
  }
  return out;
}

/**
 * redactUrl: a URL as an error text may name it - no user name or password at
 * all, secret parameter values masked; relative or malformed ones handled as text.
 */
export function redactUrl(raw: string): string {
  const u = /^[a-z][a-z0-9+.-]*:/i.test(raw) ? parse(raw) : null;
  if (!u) return redactLoose(raw, null);
  const search = maskParams(u.search);
  const hash = maskParams(u.hash);
  if (!u.username && !u.password && search === u.search && hash === u.hash) return raw;
  u.username = '';
  u.password = '';
  if (search !== u.search) u.search = search;
  if (hash !== u.hash) u.hash = hash;
  return u.href;
}

const URL_IN_TEXT = /(?:\b[a-z][a-z0-9+.-]*:)?\/\/[^\s"'<>`]+/gi;

/** redactUrlsInText applies redactUrl to every URL (`scheme://...` or `//...`) inside a message. */
export function redactUrlsInText(text: string): string {
  if (!text.includes('//')) return text;
  return text.replace(URL_IN_TEXT, (found) => {
    // sentence punctuation after a URL is not part of it
    const tail = /[).,;:!'"]+$/.exec(found)?.[0] ?? '';
    const url = tail ? found.slice(0, -tail.length) : found;
    return redactUrl(url) + tail;
  });
}

/** The outcome of resolving a URL sent on update against the stored one. */
export type UrlResolution = { url: string } | { problem: string };

interface Param {
  name: string;
  value: string;
  /** the part as written (name=value, or a bare name) */
  raw: string;
}

function params(section: string): Param[] {
  if (section.length <= 1) return [];
  return section
    .slice(1)
    .split('&')
    .map((raw) => {
      const at = raw.indexOf('=');
      return at < 0 ? { name: raw, value: '', raw } : { name: raw.slice(0, at), value: raw.slice(at + 1), raw };
    });
}

const holdsMask = (p: Param) => isSecretParamName(p.name) && decodeValue(p.value) === SECRET_PLACEHOLDER;

/** fillParams puts the stored values back where a secret parameter holds the placeholder; null when one has none to take. */
function fillParams(section: string, stored: string): string | null {
  const given = params(section);
  if (!given.some(holdsMask)) return section;
  const storedParams = params(stored);
  const seen = new Map<string, number>();
  const out: string[] = [];
  for (const p of given) {
    const n = seen.get(p.name) ?? 0;
    seen.set(p.name, n + 1);
    if (!holdsMask(p)) {
      out.push(p.raw);
      continue;
    }
    // the n-th parameter of that name in the stored URL (or its last one)
    const same = storedParams.filter((s) => s.name === p.name);
    const from = same[n] ?? same[same.length - 1];
    if (!from || from.value === '' || decodeValue(from.value) === SECRET_PLACEHOLDER) return null;
    out.push(`${p.name}=${from.value}`);
  }
  return section[0] + out.join('&');
}

/** holdsPlaceholder: does a URL carry the placeholder where a credential goes? */
export function holdsPlaceholder(raw: string): boolean {
  const u = parse(raw);
  if (!u) return false;
  return decodeValue(u.password) === SECRET_PLACEHOLDER || params(u.search).some(holdsMask) || params(u.hash).some(holdsMask);
}

/**
 * resolveMaskedUrl turns a URL sent on create (stored: null) or update into the
 * URL to store. The masked form of the stored URL keeps it as it is. A URL with
 * the placeholder as its password or as a secret parameter's value takes the
 * stored value when scheme, host, port and user name are unchanged (a path or a
 * plain parameter was edited); for any other origin, or with no stored value to
 * take, it is refused - the placeholder is never a real credential, and a stored
 * credential never moves to another host.
 */
export function resolveMaskedUrl(input: string, stored: string | null | undefined): UrlResolution {
  if (typeof stored === 'string' && input === maskUrl(stored)) return { url: stored };
  if (!holdsPlaceholder(input)) return { url: input };
  const refuse = {
    problem: `holds the placeholder "${SECRET_PLACEHOLDER}" in place of a password or token; type the real value (the stored one is kept only for the same scheme, host, port and user name)`,
  };
  const u = parse(input)!;
  const s = typeof stored === 'string' ? parse(stored) : null;
  if (!s || s.protocol !== u.protocol || s.host !== u.host || s.username !== u.username) return refuse;
  if (decodeValue(u.password) === SECRET_PLACEHOLDER) {
    if (!s.password) return refuse;
    u.password = s.password;
  }
  const search = fillParams(u.search, s.search);
  const hash = fillParams(u.hash, s.hash);
  if (search === null || hash === null) return refuse;
  if (search !== u.search) u.search = search;
  if (hash !== u.hash) u.hash = hash;
  return { url: u.href };
}
