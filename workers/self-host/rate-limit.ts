/**
 * The Rate Limiting binding for self-hosted fedge (scripts/serve-workerd.ts): a workerd wrapped
 * binding with the API of Cloudflare's, `limit({ key }) → { success }`, counting each key in
 * fixed windows of `period` seconds in this process's memory. Cloudflare's is eventually
 * consistent across locations and also approximate; one process is the whole deployment here.
 */

interface Window {
  start: number;
  count: number;
}

export default function rateLimit(env: { limit: number; period: number }) {
  const periodMs = env.period * 1000;
  const windows = new Map<string, Window>();
  let lastSweep = Date.now();
  return {
    async limit(options: { key: string }): Promise<{ success: boolean }> {
      const now = Date.now();
      // Forget closed windows now and then, so a stream of one-off keys cannot grow the map without bound.
      if (now - lastSweep > periodMs) {
        for (const [key, window] of windows) if (now - window.start >= periodMs) windows.delete(key);
        lastSweep = now;
      }
      let window = windows.get(options.key);
      if (!window || now - window.start >= periodMs) {
        window = { start: now, count: 0 };
        windows.set(options.key, window);
      }
      window.count += 1;
      return { success: window.count <= env.limit };
    },
  };
}
