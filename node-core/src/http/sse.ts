// Server-sent events: opens a stream on a hijacked reply, frames events, sends keep-alive comments,
// drops clients that stop reading, and unsubscribes everything when a client or the server goes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, PeerboardError } from '../errors.js';
import type { Logger } from '../log.js';

export interface SseOptions {
  /** interval of the `: keep-alive` comment */
  keepAliveMs: number;
  /** a client with more than this many unsent bytes is disconnected */
  maxBufferedBytes: number;
  /** streams open at once on one port */
  maxClients: number;
}

export const DEFAULT_SSE: SseOptions = { keepAliveMs: 15_000, maxBufferedBytes: 1024 * 1024, maxClients: 200 };

export interface SseStream {
  /** sends one event; false when the stream is closed */
  send(event: string, data: unknown): boolean;
  close(): void;
  readonly closed: boolean;
}

/** Frames one event. The event name must be one line; JSON.stringify never emits raw newlines. */
export function frameEvent(event: string, data: unknown): string {
  const name = event.replace(/[\r\n]/g, '');
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Tracks the open streams of one fastify instance so that closing it ends them all. */
export class SseHub {
  private readonly streams = new Set<SseStream>();
  constructor(
    private readonly logger: Logger,
    private readonly opts: SseOptions = DEFAULT_SSE,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /**
   * Opens a stream on this request. `onClose` runs exactly once, when the client disconnects,
   * the stream is dropped or the hub closes: remove listeners there.
   */
  open(request: FastifyRequest, reply: FastifyReply, onClose: () => void, extraHeaders: Record<string, string> = {}): SseStream {
    if (this.streams.size >= this.opts.maxClients) {
      throw new PeerboardError(ErrorCode.Unavailable, `too many event streams open (${this.opts.maxClients}); try again later`);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...extraHeaders,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    let closed = false;
    const hub = this;
    const stream: SseStream = {
      get closed() {
        return closed;
      },
      send(event, data) {
        return write(frameEvent(event, data));
      },
      close() {
        finish();
      },
    };
    const timer = setInterval(() => write(': keep-alive\n\n'), this.opts.keepAliveMs);
    timer.unref();

    function write(chunk: string): boolean {
      if (closed) return false;
      if (res.writableLength > hub.opts.maxBufferedBytes) {
        hub.logger.warn({ url: request.url, ip: request.ip }, 'event stream client is not reading; disconnecting it');
        finish();
        return false;
      }
      try {
        res.write(chunk);
        return true;
      } catch (err) {
        hub.logger.debug({ err }, 'event stream write failed');
        finish();
        return false;
      }
    }

    function finish(): void {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      hub.streams.delete(stream);
      try {
        onClose();
      } catch (err) {
        hub.logger.error({ err }, 'event stream cleanup failed');
      }
      if (!res.writableEnded) res.end();
    }

    // Not request.raw's 'close': it fires as soon as the (empty) request body is read.
    res.on('close', finish);
    res.on('error', finish);
    this.streams.add(stream);
    return stream;
  }

  /** Ends every open stream (called before the server closes). */
  closeAll(): void {
    for (const s of [...this.streams]) s.close();
  }
}
