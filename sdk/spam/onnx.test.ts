import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { modelSpec, type SpamModel } from "./model";
import { spamOnnxGraph, WEIGHTS_FILE } from "./onnx";

const { onnx } = onnxProto;

const models: SpamModel[] = [
  { kind: "logistic" },
  { kind: "mlp" },
  { kind: "mlp", buckets: 1000, hidden: 5 },
];

describe.each(models)("spamOnnxGraph(%o)", (model) => {
  const decoded = onnx.ModelProto.decode(spamOnnxGraph(model));
  const graph = decoded.graph!;

  it("keeps every tensor of the layout in the weights file, at byte offset 4 · its offset, tiling the file", () => {
    const { layout, parameters } = modelSpec(model);
    const external = graph.initializer!.filter(
      (t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
    );
    expect(external.map((t) => t.name)).toEqual(layout.map((t) => t.name));
    let next = 0;
    external.forEach((tensor, i) => {
      const spec = layout[i]!;
      const entries = Object.fromEntries(tensor.externalData!.map((e) => [e.key, e.value]));
      const size = spec.shape.reduce((a, b) => a * b, 1);
      expect(entries).toEqual({
        location: WEIGHTS_FILE,
        offset: String(4 * spec.offset),
        length: String(4 * size),
      });
      expect(tensor.dims!.map(Number)).toEqual(spec.shape);
      expect(tensor.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
      expect(tensor.rawData?.length ?? 0).toBe(0);
      expect(tensor.floatData ?? []).toEqual([]);
      expect(Number(entries.offset)).toBe(next);
      next += 4 * size;
    });
    expect(next).toBe(4 * parameters);
  });

  it("takes ids and a mask of shape [N, L] and gives logit and probability of shape [N]", () => {
    const dims = (v: onnxProto.onnx.IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam);
    expect(graph.input!.map((v) => [v.name, v.type!.tensorType!.elemType, dims(v)])).toEqual([
      ["ids", onnx.TensorProto.DataType.INT64, ["N", "L"]],
      ["mask", onnx.TensorProto.DataType.FLOAT, ["N", "L"]],
    ]);
    expect(graph.output!.map((v) => [v.name, dims(v)])).toEqual([
      ["logit", ["N"]],
      ["probability", ["N"]],
    ]);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 13]]);
  });
});
