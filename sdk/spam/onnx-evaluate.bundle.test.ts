import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("onnx-evaluate.ts in a browser bundle", () => {
  it("pulls in neither the graph builder nor protobufjs: evaluating needs only the runtime", async () => {
    // Prepare / Execute: bundle it as an app would, with the runtime left out (its size is its own).
    const result = await build({
      entryPoints: [new URL("./onnx-evaluate.ts", import.meta.url).pathname],
      bundle: true,
      write: false,
      metafile: true,
      platform: "browser",
      format: "esm",
      external: ["onnxruntime-web", "onnxruntime-web/*"],
      logLevel: "silent",
    });

    // Assert
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => /protobufjs|onnx-proto|sdk\/spam\/onnx\.ts$/.test(path))).toEqual([]);
    expect(result.outputFiles[0]!.contents.byteLength).toBeLessThan(20_000);
  });
});
