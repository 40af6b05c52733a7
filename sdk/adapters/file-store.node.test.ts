import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileStore } from "./file-store.node";
import { describeStoreContract } from "./store.contract";

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fedge-store-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describeStoreContract("FileStore", async () => new FileStore(join(await freshDir(), "not-yet-created")));

describe("FileStore", () => {
  it("finds what an earlier instance wrote in the same directory (a restart)", async () => {
    const dir = await freshDir();
    await new FileStore(dir).set("fedge/demo/registration", '{"deviceId":"d"}');
    const reopened = new FileStore(dir);
    expect(await reopened.get("fedge/demo/registration")).toBe('{"deviceId":"d"}');
    expect(await reopened.keys("fedge/demo/")).toEqual(["fedge/demo/registration"]);
  });

  it("writes one file per key and leaves no temporary file behind", async () => {
    const dir = await freshDir();
    const store = new FileStore(dir);
    await Promise.all([store.set("a", "1"), store.set("a", "2"), store.set("b", Uint8Array.of(1))]);
    expect((await readdir(dir)).sort()).toEqual(["a", "b"]);
    expect(await store.get("a")).toMatch(/^[12]$/);
  });

  it("does not list a temporary file left by a crash mid-write", async () => {
    const dir = await freshDir();
    const store = new FileStore(dir);
    await store.set("a", "1");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "b.123abc.tmp"), "partial");
    expect(await store.keys("")).toEqual(["a"]);
  });
});
