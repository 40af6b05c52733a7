/**
 * The Worker's two secrets, checked where they are used. Outside local development a
 * secret that is missing, shorter than 32 bytes or the value every clone gets from
 * .dev.vars.example is refused with 503 `misconfigured` naming the secret: nothing is
 * signed or accepted with it, and the operator is told what to set.
 */
import { FedgeError } from "../shared/errors";

export type SecretName = "ADMIN_TOKEN" | "TOKEN_SECRET";

/**
 * What this module reads from the env. wrangler.toml declares none of it: secrets come
 * from `wrangler secret put` (locally from .dev.vars), and the marker must never be deployed.
 */
export type SecretBindings = { [name in SecretName]?: string } & {
  /** "true" only in .dev.vars (from .dev.vars.example) and the test configuration. */
  FEDGE_LOCAL_DEV?: string;
};

/** RFC 7518 §3.2: an HS256 key is at least as long as the hash, 256 bits; the admin token gets the same. */
export const MIN_SECRET_BYTES = 32;

/** The values .dev.vars.example gives every clone (test/secrets.test.ts checks them against the file). */
const DEVELOPMENT_DEFAULTS: Record<SecretName, string> = {
  ADMIN_TOKEN: "dev-admin-token",
  TOKEN_SECRET: "dev-token-secret-change-me",
};

/** The key that signs and verifies device tokens; throws `misconfigured` if it is unusable. */
export const tokenSecret = (env: SecretBindings): string => requireSecret(env, "TOKEN_SECRET");

/** The admin bearer token; throws `misconfigured` if it is unusable. */
export const adminToken = (env: SecretBindings): string => requireSecret(env, "ADMIN_TOKEN");

/** Why `env[name]` cannot be used, or null if it can. Local development accepts any non-empty value. */
export function secretProblem(env: SecretBindings, name: SecretName): string | null {
  const value = env[name];
  if (!value) return "is not set";
  if (env.FEDGE_LOCAL_DEV === "true") return null;
  if (value === DEVELOPMENT_DEFAULTS[name]) return "is the development default from .dev.vars.example";
  if (new TextEncoder().encode(value).byteLength < MIN_SECRET_BYTES)
    return `is shorter than ${MIN_SECRET_BYTES} bytes`;
  return null;
}

function requireSecret(env: SecretBindings, name: SecretName): string {
  const problem = secretProblem(env, name);
  if (problem !== null) {
    throw new FedgeError(
      "misconfigured",
      `${name} ${problem}; set a random value of at least ${MIN_SECRET_BYTES} bytes with \`wrangler secret put ${name}\` (locally: in .dev.vars)`,
    );
  }
  return env[name] as string;
}
