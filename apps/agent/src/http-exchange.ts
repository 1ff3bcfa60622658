import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/** One answer: its status, headers and JSON body (the text where it is not JSON). */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the caller's to check
}

/** A request as observers see it: sent, then answered (with its status) or failed. */
export interface Exchange {
  phase: 'sent' | 'answered' | 'failed';
  method: string;
  path: string;
  status?: number;
}

/**
 * JSON over HTTP(S) with Node's own client, keeping connections alive between passes: no client library to load, so
 * the agent starts the faster (docs/benchmarks.md, An idle fleet). Through the proxy HTTPS_PROXY or HTTP_PROXY names
 * unless NO_PROXY excludes the API (its agent loaded only then). A redirect is not followed: the API's URL is the
 * config's. Counts the bytes and requests, what the agent costs on the customer's line; observers see each request
 * sent, then answered or failed.
 */
export class HttpExchange {
  readonly traffic = { sent: 0, received: 0, requests: 0 };
  private readonly observers: ((e: Exchange) => void)[] = [];
  private readonly base: URL;
  private readonly agent: http.Agent;
  /** The agent requests go through, found once (the proxy's when the environment names one for the API). */
  private chosen: Promise<http.Agent> | undefined;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 120_000,
  ) {
    this.base = new URL(baseUrl.replace(/\/?$/, '/'));
    const Agent = this.base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true });
  }

  /** Calls `observer` with every request sent and every answer. */
  observe(observer: (e: Exchange) => void): void {
    this.observers.push(observer);
  }

  async request(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const agent = await (this.chosen ??= this.agentFor(url));
    const text = body === undefined ? undefined : JSON.stringify(body);
    const bytes = text === undefined ? 0 : Buffer.byteLength(text);
    const sent = { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) };
    const request = (this.base.protocol === 'https:' ? https : http).request;
    const exchange = { method: method.toUpperCase(), path };
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        url,
        { method: exchange.method, agent, headers: { ...sent, 'content-length': String(bytes) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const answer = Buffer.concat(chunks);
            this.traffic.requests++;
            this.traffic.received += answer.length;
            this.tell({ ...exchange, phase: 'answered', status: res.statusCode });
            resolve({ status: res.statusCode ?? 0, headers: res.headers, data: parsed(answer.toString('utf8')) });
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => {
        this.tell({ ...exchange, phase: 'failed' });
        reject(err);
      });
      this.tell({ ...exchange, phase: 'sent' });
      this.traffic.sent += bytes;
      if (text === undefined || text.length <= PIECE_CHARS) req.end(text);
      else Readable.from(pieces(text), { objectMode: false }).pipe(req);
    });
  }

  /** The agent for the API at `url`: the proxy's when the environment names one for it. */
  private async agentFor(url: URL): Promise<http.Agent> {
    const { getProxyForUrl } = await import('proxy-from-env');
    const proxy = getProxyForUrl(url.href);
    if (!proxy) return this.agent;
    if (url.protocol === 'https:')
      return new (await import('https-proxy-agent')).HttpsProxyAgent(proxy, { keepAlive: true });
    return new (await import('http-proxy-agent')).HttpProxyAgent(proxy, { keepAlive: true });
  }

  /** Observers are told, never let fail a request. */
  private tell(e: Exchange): void {
    for (const o of this.observers) {
      try {
        o(e);
      } catch {
        // an observer's own problem
      }
    }
  }
}

function parsed(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/**
 * A large body goes out in pieces of at most this many characters (96 KiB of UTF-8), each encoded as it is written.
 * Encoded whole, every upload was one buffer of megabytes; once the C library has freed one such buffer it serves
 * the next from its heap, which then keeps what they fragment (docs/operations.md, Memory).
 */
const PIECE_CHARS = 32 * 1024;

/**
 * The text in pieces of `size` (2 or more) characters, never parting a surrogate pair (a lone half is written as
 * U+FFFD).
 */
export function* pieces(text: string, size = PIECE_CHARS): Generator<string> {
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - 1 > start && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(start, end);
    start = end;
  }
}
