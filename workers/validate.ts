import type { z } from "zod";
import { FedgeError } from "../shared/errors";
import { formatPath } from "../shared/protocol/task-config";

/** Validates a JSON body against its schema; a failure is 400 bad_request listing every `path: message`. */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new FedgeError(
    "bad_request",
    result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("; "),
  );
}
