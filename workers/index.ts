import kernels from "../wasm/build/kernels.wasm";
export { Directory, ClusterAggregator, RegionAggregator, Coordinator } from "../durable-objects/directory";
export default {
  async fetch(): Promise<Response> {
    const inst = new WebAssembly.Instance(kernels);
    return new Response(String(Object.keys(inst.exports)));
  },
};
