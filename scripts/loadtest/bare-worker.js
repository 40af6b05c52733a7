/**
 * The bare ceiling: the least a Worker can do to accept an upload durably. The Worker
 * reads the body, hands it to one of `SHARDS` Durable Objects (as fedge hands a frame to
 * the device's cluster), which INSERTs it into its SQLite table; the Worker answers 202
 * once that write is committed (the output gate holds the RPC's answer until then).
 * No parsing, no validation, no aggregation: what remains is the platform's own cost.
 *
 *   POST /ingest/:shard   body → INSERT INTO bodies → 202
 */
import { DurableObject } from "cloudflare:workers";

export class Sink extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  }

  ingest(body) {
    this.ctx.storage.sql.exec("INSERT INTO bodies (body) VALUES (?)", body);
    return body.byteLength;
  }
}

export default {
  async fetch(request, env) {
    const match = /^\/ingest\/(\d+)$/.exec(new URL(request.url).pathname);
    if (request.method !== "POST" || !match) return new Response("not found", { status: 404 });
    const body = await request.arrayBuffer();
    const sink = env.SINK.get(env.SINK.idFromName(`shard-${match[1]}`));
    const bytes = await sink.ingest(body);
    return Response.json({ status: "accepted", bytes }, { status: 202 });
  },
};
