/**
 * The whole of `body`, or null once it passes `maxBytes`. Request bodies (the API's size limit) and fetched
 * responses (the HTTP routine's) are read this way. Past the limit, up to `drainBytes` more are read and dropped
 * before the stream is cancelled (see `middleware/body.ts` for why a server wants that).
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  drainBytes = 0,
): Promise<Uint8Array | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await drain(reader, maxBytes + drainBytes - size);
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Reads and drops up to `budget` more bytes, then cancels what is left of the stream. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  let left = budget;
  while (left >= 0) {
    const { done, value } = await reader.read();
    if (done) return;
    left -= value.byteLength;
  }
  reader.cancel().catch(() => {});
}
