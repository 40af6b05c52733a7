/**
 * The spam models as ONNX graphs whose weights are not in the graph: every tensor of the
 * layout is an initializer with `data_location = EXTERNAL` pointing into one file, the
 * flat little-endian float32 blob fedge serves for a version (GET …/model/:version/weights).
 * The graph depends only on the layout, so a device fetches it once per task and only the
 * blob per version. External data: https://onnx.ai/onnx/repo-docs/ExternalData.html
 *
 * Inputs, for a batch of N messages padded to L ids:
 *   ids  int64 [N, L]   bucket ids (featurize); padding may use any valid id
 *   mask float [N, L]   1 for a message's ids, 0 for padding
 * Outputs: logit float [N] and probability = σ(logit) float [N].
 *
 *   logistic: Gather(w, ids) · mask → ReduceSum over L → + b
 *   mlp:      Gather(embedding, ids) · mask → ReduceSum over L → + b1 → Relu → MatMul w2 → + b2
 */
import onnxProto from "onnx-proto";
import type { TensorLayout } from "../../shared/protocol/task-config";
import { network, type SpamModel } from "./model";
import { WEIGHTS_FILE } from "./weights-file";

export { WEIGHTS_FILE };

const { onnx } = onnxProto;

/** ONNX opset 13: ReduceSum and Unsqueeze take their axes as inputs. */
const OPSET = 13;
/** IR version 7 is the first that carries opset 13 (onnx/docs/Versioning.md). */
const IR_VERSION = 7;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

export function spamOnnxGraph(model: SpamModel): Uint8Array {
  const net = network(model);
  const axis = (name: string, value: number) =>
    onnx.TensorProto.create({ name, dataType: INT64, dims: [1], int64Data: [value] });
  const axes = model.kind === "logistic" ? [axis("axis1", 1)] : [axis("axis1", 1), axis("axis2", 2)];
  const nodes =
    model.kind === "logistic"
      ? [
          node("Gather", ["w", "ids"], ["gathered"]),
          node("Mul", ["gathered", "mask"], ["masked"]),
          node("ReduceSum", ["masked", "axis1"], ["summed"], { keepdims: 0 }),
          node("Add", ["summed", "b"], ["logit"]),
        ]
      : [
          node("Gather", ["embedding", "ids"], ["gathered"]),
          node("Unsqueeze", ["mask", "axis2"], ["mask3"]),
          node("Mul", ["gathered", "mask3"], ["masked"]),
          node("ReduceSum", ["masked", "axis1"], ["summed"], { keepdims: 0 }),
          node("Add", ["summed", "b1"], ["preactivation"]),
          node("Relu", ["preactivation"], ["hidden"]),
          node("MatMul", ["hidden", "w2"], ["score"]),
          node("Add", ["score", "b2"], ["logit"]),
        ];
  nodes.push(node("Sigmoid", ["logit"], ["probability"]));
  const graph = onnx.GraphProto.create({
    name: `fedge-spam-${model.kind}`,
    node: nodes,
    initializer: [...externalInitializers(net.layout), ...axes],
    input: [tensorInfo("ids", INT64, ["N", "L"]), tensorInfo("mask", FLOAT, ["N", "L"])],
    output: [tensorInfo("logit", FLOAT, ["N"]), tensorInfo("probability", FLOAT, ["N"])],
  });
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "fedge",
    graph,
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** One float32 initializer per tensor, at byte offset 4 · offset of the weights file. */
function externalInitializers(layout: TensorLayout) {
  return layout.map((t) =>
    onnx.TensorProto.create({
      name: t.name,
      dataType: FLOAT,
      dims: t.shape,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: "location", value: WEIGHTS_FILE },
        { key: "offset", value: String(4 * t.offset) },
        { key: "length", value: String(4 * t.shape.reduce((a, b) => a * b, 1)) },
      ],
    }),
  );
}

function node(opType: string, input: string[], output: string[], ints: Record<string, number> = {}) {
  return onnx.NodeProto.create({
    opType,
    input,
    output,
    attribute: Object.entries(ints).map(([name, i]) =>
      onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i }),
    ),
  });
}

function tensorInfo(name: string, elemType: number, dims: string[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } },
  });
}
