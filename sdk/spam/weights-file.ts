/**
 * The `location` the spam graphs' initializers name (onnx.ts); pass the weights under this
 * path to the runtime. Its own module so that running a graph (onnx-evaluate.ts) does not
 * pull in building one, and with it protobufjs.
 */
export const WEIGHTS_FILE = "weights.bin";
