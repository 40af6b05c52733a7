/**
 * The edge's view of a task (config, current model, round), cached per isolate for a
 * second: every request needs it, and the coordinator is one object per task, so
 * asking it each time would make it the flat O(n) fan-in that the tree avoids.
 */
import type { TaskView } from "../durable-objects/coordinator";
import { coordinatorStub } from "../durable-objects/stubs";
import { FedgeError } from "../shared/errors";

const TTL_MS = 1000;
const cache = new Map<string, { view: TaskView; at: number }>();

export async function loadTask(env: Env, task: string, options: { fresh?: boolean } = {}): Promise<TaskView> {
  const hit = cache.get(task);
  const now = Date.now();
  if (hit && !options.fresh && now - hit.at < TTL_MS) return hit.view;
  const view = await coordinatorStub(env, task).getTask();
  if (!view) {
    cache.delete(task);
    throw new FedgeError("task_not_found", `no task "${task}"`);
  }
  cache.set(task, { view, at: now });
  return view;
}

export function rememberTask(view: TaskView): void {
  cache.set(view.task.id, { view, at: Date.now() });
}
