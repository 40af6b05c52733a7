import type { DeviceClaims } from "./auth";

/** Hono's typing of this Worker: its bindings and what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    device: DeviceClaims;
    /** The request's body limit in bytes, once limitBody (./body.ts) has set it. */
    bodyLimit: number;
    /** When this Worker began handling the request (ms since epoch). */
    receivedAt: number;
    /** An upload's body size, once read. */
    uploadBytes: number;
  };
}
