// Incremental parser for a text/event-stream body (the WHATWG server-sent events format), so the
// web client can read /api/events through fetch() and still send an Authorization header.

export interface SseMessage {
  event: string;
  data: string;
  id: string;
}

/** Longest event a stream may build up before it is dropped (a broken or hostile server). */
export const MAX_SSE_EVENT_CHARS = 4 * 1024 * 1024;

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private dataChars = 0;
  private event = '';
  private lastId = '';
  private skipLf = false;
  /** the rest of the current line / event is dropped (it grew past the limit) */
  private discardLine = false;
  private discardEvent = false;
  /** server-requested reconnection delay (the `retry:` field), if any */
  retryMs: number | null = null;

  constructor(private readonly onMessage: (msg: SseMessage) => void) {}

  /** Feeds a decoded chunk; complete lines are processed, a partial last line is kept. */
  feed(chunk: string): void {
    // a CR ended the previous chunk: a LF opening this one belongs to it (CRLF split in two)
    if (this.skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLf = false;
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      if (cr === -1 && lf === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr === this.buffer.length - 1) this.skipLf = true;
        next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      if (this.discardLine) this.discardLine = false;
      else this.line(this.buffer.slice(start, end));
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > MAX_SSE_EVENT_CHARS) {
      // an endless line: drop it (up to its end) and the event it belongs to
      this.buffer = '';
      this.discardLine = true;
      this.dropEvent();
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataChars += value.length + 1;
        if (this.dataChars > MAX_SSE_EVENT_CHARS) return this.dropEvent();
        if (this.discardEvent) return;
        this.data.push(value);
        return;
      case 'event':
        this.event = value;
        return;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        return;
      default:
        return; // unknown fields are ignored, as the format says
    }
  }

  private dispatch(): void {
    if (this.data.length > 0 && !this.discardEvent) {
      this.onMessage({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId });
    }
    this.data = [];
    this.dataChars = 0;
    this.event = '';
    this.discardEvent = false;
  }

  private dropEvent(): void {
    this.discardEvent = true;
    this.data = [];
    this.dataChars = 0;
    this.event = '';
  }
}
