// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
// Locally they come from .dev.vars (see .dev.vars.example); in production from `wrangler secret put`.
interface FedgeSecrets {
  /** Bearer token for /v1/admin/*. */
  ADMIN_TOKEN: string;
  /** HMAC key (HS256) that signs device tokens. */
  TOKEN_SECRET: string;
}
interface Env extends FedgeSecrets {}
declare namespace Cloudflare {
  interface Env extends FedgeSecrets {}
}
