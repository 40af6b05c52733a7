/**
 * What the page remembers, per browser tab: the admin token and the task, in sessionStorage
 * (gone with the tab). The token is only ever sent in an Authorization header, never put in
 * a URL, so it cannot reach a server log or a Referer. README.md names these keys.
 */
export const TOKEN_KEY = "fedge.adminToken";
export const TASK_KEY = "fedge.task";

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** `?task=` (not a secret, so a link may carry it) wins over the one remembered. */
export function initialTask(): string {
  return new URLSearchParams(location.search).get("task") ?? sessionStorage.getItem(TASK_KEY) ?? "";
}

export function storeTask(task: string): void {
  sessionStorage.setItem(TASK_KEY, task);
  const url = new URL(location.href);
  url.searchParams.set("task", task);
  history.replaceState(null, "", url);
}
