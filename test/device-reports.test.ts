import { describe, expect, it } from "vitest";
import {
  api,
  checkin,
  createTask,
  type Device,
  flatModel,
  register,
  registerOnly,
  taskStatus,
} from "./helpers";

function evaluate(task: string, device: Device, body: unknown): Promise<Response> {
  return api(`/v1/tasks/${task}/evaluations`, {
    method: "POST",
    headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("battery-aware check-in", () => {
  it("tells a device below the minimum battery level that is not charging to wait, and assigns nothing", async () => {
    await createTask("battery", { model: flatModel(4), devices: { minBatteryLevel: 0.3 } });
    const d = await registerOnly("battery", "weur");

    const low = await checkin("battery", d, { battery: { level: 0.1, charging: false } });
    expect(low.status).toBe(200);
    expect(await low.json()).toMatchObject({ action: "wait", reason: "battery", retryAfterSeconds: 900 });
    expect(low.headers.get("Retry-After")).toBe("900");

    // Nothing was assigned, so once charging the device is given the version.
    const charging = await checkin("battery", d, { battery: { level: 0.1, charging: true } });
    expect(await charging.json()).toMatchObject({
      action: "train",
      policy: { minBatteryLevel: 0.3, workScale: 1 },
    });
  });

  it("scales the assigned work with the charge of a device on battery", async () => {
    await createTask("work-scale", { model: flatModel(4) });
    const d = await registerOnly("work-scale", "weur");
    const res = await checkin("work-scale", d, {
      battery: { level: 0.6, charging: false },
      network: { type: "wifi", rttMs: 42, uplinkBytesPerSecond: 250_000 },
    });
    expect(await res.json()).toMatchObject({
      action: "train",
      policy: { minBatteryLevel: 0.2, workScale: 0.6 },
    });
  });

  it("refuses an out-of-range battery report with 400 naming the field", async () => {
    await createTask("battery-bad", { model: flatModel(4) });
    const d = await register("battery-bad", "weur");
    const res = await checkin("battery-bad", d, { battery: { level: 1.5, charging: false } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/battery\.level/);
  });
});

describe("federated evaluation", () => {
  it("aggregates the devices' reports per version, weighted by examples, across regions", async () => {
    await createTask("fed-eval", { model: flatModel(4) });
    const a = await register("fed-eval", "weur");
    const b = await register("fed-eval", "apac");
    const c = await register("fed-eval", "apac");

    expect(
      (await evaluate("fed-eval", a, { version: 0, loss: 0.5, accuracy: 0.9, examples: 100 })).status,
    ).toBe(202);
    expect(
      (await evaluate("fed-eval", b, { version: 0, loss: 1.0, accuracy: 0.6, examples: 300 })).status,
    ).toBe(202);
    // One report per device per version: the same report again is a resend; a different one is refused.
    const report = { version: 0, loss: 0.25, accuracy: 1, examples: 100 };
    expect((await evaluate("fed-eval", c, report)).status).toBe(202);
    expect((await evaluate("fed-eval", c, report)).status).toBe(202);
    const second = await evaluate("fed-eval", c, { ...report, loss: 9, accuracy: 0 });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe("duplicate_evaluation");

    const { evaluations } = await taskStatus("fed-eval");
    expect(evaluations).toHaveLength(1);
    expect(evaluations[0]).toMatchObject({ version: 0, reports: 3, examples: 500 });
    expect(evaluations[0]!.loss).toBeCloseTo((0.5 * 100 + 1.0 * 300 + 0.25 * 100) / 500, 12);
    expect(evaluations[0]!.accuracy).toBeCloseTo((0.9 * 100 + 0.6 * 300 + 1 * 100) / 500, 12);
  });

  it("refuses a report for a version that does not exist yet, or with bad fields, and records nothing", async () => {
    await createTask("fed-eval-bad", { model: flatModel(4) });
    const d = await register("fed-eval-bad", "weur");
    expect(
      (await evaluate("fed-eval-bad", d, { version: 3, loss: 0.1, accuracy: 0.5, examples: 1 })).status,
    ).toBe(404);
    const bad = await evaluate("fed-eval-bad", d, { version: 0, loss: -1, accuracy: 2, examples: 0 });
    expect(bad.status).toBe(400);
    const message = ((await bad.json()) as { error: { message: string } }).error.message;
    for (const field of ["loss", "accuracy", "examples"]) expect(message).toContain(field);
    expect((await taskStatus("fed-eval-bad")).evaluations).toEqual([]);
  });
});
