import { app } from "./app";

export { ClusterAggregator } from "../durable-objects/cluster-aggregator";
export { Coordinator } from "../durable-objects/coordinator";
export { Directory } from "../durable-objects/directory";
export { RegionAggregator } from "../durable-objects/region-aggregator";

export default app satisfies ExportedHandler<Env>;
