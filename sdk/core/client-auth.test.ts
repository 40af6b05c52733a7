import { describe, expect, it } from "vitest";
import { FedgeApiError } from "./errors";
import { fixedTrainer, setup } from "./testing/client-fixture";
import type { FedgeEvent } from "./uploader";

function bearer(fake: ReturnType<typeof setup>["fake"], route: string): (string | null)[] {
  return fake.requests.filter((r) => r.route === route).map((r) => r.headers.get("Authorization"));
}

describe("FedgeClient registration", () => {
  it("registers once and reuses the stored registration after a restart", async () => {
    const { client, fake, restart } = setup();
    const first = await client.register();
    const again = await restart().register();
    expect(again).toEqual(first);
    expect(fake.registrations).toBe(1);
  });

  it("registers concurrent callers only once", async () => {
    const { client, fake } = setup();
    const [a, b] = await Promise.all([client.register(), client.register()]);
    expect(a.deviceId).toBe(b.deviceId);
    expect(fake.registrations).toBe(1);
  });

  it("registers anew when the stored token has expired", async () => {
    const { client, clock, fake, restart } = setup();
    const first = await client.register();
    clock.advance(31 * 86_400_000);
    const second = await restart().register();
    expect(second.deviceId).not.toBe(first.deviceId);
    expect(fake.registrations).toBe(2);
  });

  it("on a 401 at check-in, registers anew once and checks in again with the new token", async () => {
    // Prepare: the server forgets every device after the first registration.
    const events: FedgeEvent[] = [];
    const { client, fake } = setup({ onEvent: (e) => events.push(e) });
    await client.register();
    fake.forgetDevices();

    // Execute
    const result = await client.runOnce(fixedTrainer([1, 1, 1, 1]));

    // Assert
    expect(result).toMatchObject({ action: "trained" });
    expect(fake.registrations).toBe(2);
    expect(bearer(fake, "checkin")).toEqual(["Bearer token-1", "Bearer token-2"]);
    expect(events.filter((e) => e.type === "registered")).toEqual([
      { type: "registered", deviceId: "device-1" },
      { type: "registered", deviceId: "device-2" },
    ]);
  });

  it("on a 401 on upload, registers anew and resends the same frame with the new token", async () => {
    const { client, fake } = setup();
    fake.script("updates", { status: 401, code: "unauthorized" });
    const result = await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    expect(result).toMatchObject({ action: "trained", flush: { pending: 0 } });
    expect(bearer(fake, "updates")).toEqual(["Bearer token-1", "Bearer token-2"]);
    const [accepted] = [...fake.accepted.values()];
    expect(accepted?.token).toBe("token-2");
  });

  it("does not register a third time when the new token is refused too; the 401 reaches the caller", async () => {
    const { client, fake } = setup();
    fake.script("checkin", { status: 401, code: "unauthorized" }, { status: 401, code: "unauthorized" });
    const checkIn = client.checkIn();
    await expect(checkIn).rejects.toBeInstanceOf(FedgeApiError);
    await expect(checkIn).rejects.toMatchObject({ status: 401 });
    expect(fake.registrations).toBe(2);
  });

  it("keeps an update queued when its upload is refused with 401 even after registering anew", async () => {
    const { client, fake } = setup();
    fake.script("updates", { status: 401, code: "unauthorized" }, { status: 401, code: "unauthorized" });
    const result = await client.runOnce(fixedTrainer([1, 1, 1, 1]));
    expect(result).toMatchObject({ action: "trained", flush: { rejected: [], pending: 1 } });
    expect(await client.flush()).toMatchObject({ pending: 0 });
  });

  it("stores a token renewed at check-in, uses it from then on, and finds it after a restart", async () => {
    // Prepare
    const { client, fake, restart } = setup();
    fake.renewNextCheckin = true;

    // Execute
    await client.runOnce(fixedTrainer([1, 1, 1, 1]));

    // Assert: the upload after the renewing check-in already carries the new token.
    expect(bearer(fake, "checkin")).toEqual(["Bearer token-1"]);
    expect(bearer(fake, "updates")).toEqual(["Bearer renewed-device-1-0"]);
    const stored = await restart().register();
    expect(stored).toMatchObject({ deviceId: "device-1", token: "renewed-device-1-0" });
    expect(fake.registrations).toBe(1);
  });
});
