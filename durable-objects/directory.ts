import { DurableObject } from "cloudflare:workers";
export class Directory extends DurableObject {
  async ping(): Promise<number> {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (x)");
    return this.ctx.storage.sql.exec("SELECT 1 AS one").one().one as number;
  }
}
export class ClusterAggregator extends Directory {}
export class RegionAggregator extends Directory {}
export class Coordinator extends Directory {}
