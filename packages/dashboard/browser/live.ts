import { authHeaders, endpoint } from './api.js';
import type { AuditRecord } from './record.js';

/**
 * The API's live feed (`live/stream`, Server-Sent Events) read through fetch rather than
 * EventSource, which cannot send the bearer token. The last event id (the batch's live cursor) is
 * kept, and a dropped stream reconnects from it after the server's `retry`, so a reconnect neither
 * loses nor repeats a batch it received whole; the list dedupes by id for the rest.
 */
export class LiveFeed {
  #abort: AbortController | undefined;
  #lastId: string | undefined;
  #retryMs = 2000;

  constructor(
    private readonly onRecords: (records: AuditRecord[]) => void,
    private readonly onState: (state: 'connecting' | 'open' | 'refused' | 'stopped', detail?: string) => void,
  ) {}

  get running(): boolean {
    return this.#abort !== undefined;
  }

  start(params: URLSearchParams): void {
    this.stop();
    this.#lastId = undefined;
    const abort = new AbortController();
    this.#abort = abort;
    void this.#run(params, abort.signal);
  }

  stop(): void {
    this.#abort?.abort();
    this.#abort = undefined;
  }

  async #run(params: URLSearchParams, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.onState('connecting');
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
        if (this.#lastId !== undefined) headers['last-event-id'] = this.#lastId;
        const response = await fetch(endpoint('live/stream', params), { headers, credentials: 'same-origin', cache: 'no-store', signal });
        if (response.status === 401 || response.status === 403 || response.status === 400) {
          this.#abort = undefined;
          this.onState('refused', String(response.status));
          return;
        }
        if (!response.ok || response.body === null) throw new Error(`live stream answered ${response.status}`);
        this.onState('open');
        await this.#read(response.body, signal);
      } catch {
        if (signal.aborted) break;
      }
      if (signal.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
    }
    this.onState('stopped');
  }

  async #read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), { once: true });
    let buffer = '';
    let batch: AuditRecord[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const event = parseEvent(block);
        if (event.retry !== undefined) this.#retryMs = event.retry;
        if (event.type === 'record' && event.data !== undefined) {
          try {
            batch.push(JSON.parse(event.data) as AuditRecord);
          } catch {
            // A line that is not JSON is not a record; skip it rather than stop the feed.
          }
        }
        if (event.type === 'error') return;
        if (event.id !== undefined) this.#lastId = event.id;
      }
      // Hand over what this chunk completed (a batch's last event carries the id; a large batch may span chunks).
      if (batch.length > 0) {
        this.onRecords(batch);
        batch = [];
      }
    }
  }
}

function parseEvent(block: string): { type: string; data: string | undefined; id: string | undefined; retry: number | undefined } {
  let type = 'message';
  let data: string[] | undefined;
  let id: string | undefined;
  let retry: number | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') (data ??= []).push(value);
    else if (field === 'id') id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
  return { type, data: data?.join('\n'), id, retry };
}
