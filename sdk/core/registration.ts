/**
 * The device's identity: registered once, stored, reused across restarts, renewed from
 * check-in answers, and replaced when the server no longer accepts it (401: "register
 * again", docs/protocol.md#authentication).
 */
import type { Registration } from "./api-types";
import type { Clock } from "./clock";
import { FedgeApiError } from "./errors";
import type { Http } from "./http";
import { getJson, type Store, setJson } from "./store";

export class DeviceAuth {
  #registration: Registration | undefined;
  #pending: Promise<Registration> | undefined;
  #replacing: Promise<Registration> | undefined;

  constructor(
    private readonly http: Http,
    private readonly store: Store,
    private readonly key: string,
    private readonly task: string,
    private readonly clock: Clock,
    private readonly onRegistered: (registration: Registration) => void,
  ) {}

  /** The stored registration while its token is valid; otherwise a new one. */
  current(): Promise<Registration> {
    this.#pending ??= this.load().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Registers anew, whatever is stored: the server gives a new device id and token. */
  async register(): Promise<Registration> {
    const path = `/v1/tasks/${encodeURIComponent(this.task)}/devices`;
    const registration = await this.http.json<Registration>(path, {
      method: "POST",
      body: {},
    });
    await setJson(this.store, this.key, registration);
    this.#registration = registration;
    this.onRegistered(registration);
    return registration;
  }

  /** Stores a token renewed by a check-in answer; the old one stays valid until it expires. */
  async renew(token: string, tokenExpiresAt: string): Promise<void> {
    const registration = await this.current();
    if (registration.token === token) return;
    this.#registration = { ...registration, token, tokenExpiresAt };
    await setJson(this.store, this.key, this.#registration);
  }

  /**
   * Runs an authenticated request. On 401 the server has forgotten the device or its token
   * has lapsed: register anew once and retry once; a second 401 is the caller's to handle.
   */
  async call<T>(request: (token: string) => Promise<T>): Promise<T> {
    const { token } = await this.current();
    try {
      return await request(token);
    } catch (error) {
      if (!(error instanceof FedgeApiError && error.status === 401)) throw error;
      return request((await this.replace(token)).token);
    }
  }

  /** One new registration for any number of requests refused with the same token. */
  private replace(refused: string): Promise<Registration> {
    const latest = this.#registration;
    if (latest !== undefined && latest.token !== refused) return Promise.resolve(latest);
    this.#replacing ??= this.register().finally(() => {
      this.#replacing = undefined;
    });
    return this.#replacing;
  }

  private async load(): Promise<Registration> {
    this.#registration ??= await getJson<Registration>(this.store, this.key);
    const registration = this.#registration;
    if (registration !== undefined && Date.parse(registration.tokenExpiresAt) > this.clock.now()) {
      return registration;
    }
    return this.register();
  }
}
