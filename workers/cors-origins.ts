/**
 * CORS_ORIGINS, parsed: exact origins as browsers send them (`https://app.example.com`) and,
 * in local development only, any port of the loopback host. Pure, so `npm run check:deploy`
 * checks each environment's value with the same rules the Worker applies.
 */
import { FedgeError } from "../shared/errors";

/** The only patterns admitted, and only in local development: any port on the loopback host. */
const LOCAL_PATTERNS = ["http://localhost:*", "http://127.0.0.1:*"] as const;

export interface CorsOrigins {
  exact: ReadonlySet<string>;
  /** Hosts (`localhost`, `127.0.0.1`) whose every `http://` port is admitted. */
  anyPortHosts: ReadonlySet<string>;
}

/**
 * Parses CORS_ORIGINS. An entry is an origin as browsers send it (scheme, host, optional
 * port; no path, no trailing slash) or, where `local`, one of LOCAL_PATTERNS. Anything
 * else is refused with a message naming the entry, since it would never match silently.
 */
export function parseCorsOrigins(value: string | undefined, local: boolean): CorsOrigins {
  const exact = new Set<string>();
  const anyPortHosts = new Set<string>();
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const [index, entry] of entries.entries()) {
    if ((LOCAL_PATTERNS as readonly string[]).includes(entry)) {
      if (!local)
        throw misconfigured(index, entry, "admits any local port and is accepted only in local development");
      anyPortHosts.add(new URL(entry.replace(":*", "")).hostname);
      continue;
    }
    // URL accepts `*` in a host; a browser never sends one.
    const origin = URL.canParse(entry) && !entry.includes("*") ? new URL(entry).origin : "null";
    if (origin === "null" || origin !== entry)
      throw misconfigured(
        index,
        entry,
        "is not an origin like https://app.example.com (scheme, host, port; no path)",
      );
    exact.add(origin);
  }
  return { exact, anyPortHosts };
}

/** The request's Origin if `origins` admits it, else null. */
export function admittedOrigin(origin: string, origins: CorsOrigins): string | null {
  if (origins.exact.has(origin)) return origin;
  if (!URL.canParse(origin)) return null;
  const url = new URL(origin);
  return url.protocol === "http:" && origins.anyPortHosts.has(url.hostname) && url.origin === origin
    ? origin
    : null;
}

function misconfigured(index: number, entry: string, why: string): FedgeError {
  return new FedgeError("misconfigured", `CORS_ORIGINS[${index}] "${entry}" ${why}`);
}
