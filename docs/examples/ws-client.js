// Follows one job's events in a browser and survives disconnects: it reconnects with backoff and resumes from the
// last seq it saw (`?since=`), so `onEvent` sees every event once, in seq order. A gap the server reports
// (`events:dropped`: this client read too slowly) is refilled the same way, by reconnecting from the last seq.
// biome-ignore lint/correctness/noUnusedVariables: a browser script's global, for the page to call
function followJob(serverUrl, jobId, onEvent, options = {}) {
  let lastSeq = 0;
  let attempt = 0;
  let socket = null;
  let stopped = false;
  const connect = () => {
    const url = new URL(
      `/api/ws/jobs/${encodeURIComponent(jobId)}/monitor`,
      serverUrl.replace(/^http/, "ws"),
    );
    url.searchParams.set("since", String(lastSeq));
    if (options.apiKey) url.searchParams.set("api_key", options.apiKey);
    socket = new WebSocket(url);
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "connection:status" && data.status === "connected") attempt = 0;
      if (data.type === "events:dropped") socket.close(); // reconnecting with ?since= replays the gap
      if (data.type === "stream:truncated") options.onTruncated?.(lastSeq + 1, data.oldest_seq - 1);
      if (typeof data.seq !== "number" || data.seq <= lastSeq) return;
      lastSeq = data.seq;
      onEvent(data);
      if (/^job_(completed|failed|cancelled)$/.test(data.type)) stop();
    };
    socket.onclose = () => {
      if (stopped) return;
      const delay = Math.min(30_000, 250 * 2 ** attempt++) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  };
  const stop = () => {
    stopped = true;
    socket?.close();
  };
  connect();
  return stop;
}
