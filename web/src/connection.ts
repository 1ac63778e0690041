// The websocket to the server: binary protobuf Frames in, small JSON commands out
// (replay seeks). Reconnects by itself with exponential backoff (0.5 s doubling to
// 10 s, with jitter); the server resends Meta, History and the latest Snapshot on
// every connect, so a reconnect needs no state from before.
//
// The page's `token` query parameter, when present, is passed on to the websocket.
import { decodeFrame, type WireFrame } from './decode.js';

export type ConnectionState = 'connecting' | 'open' | 'waiting';

export interface ConnectionEvents {
  onFrame(frame: WireFrame): void;
  /** State changes; for 'waiting', when the next attempt starts (ms since epoch). */
  onState(state: ConnectionState, retryAtMs: number): void;
  /** A frame that did not decode (the socket stays open). */
  onError(message: string): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/** ws://host/ws or wss://host/ws, with ?token=... taken from the page's URL. */
export function websocketUrl(page: Location): string {
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(page.search).get('token');
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${page.host}/ws${query}`;
}

export class Connection {
  private socket: WebSocket | null = null;
  private retryMs = FIRST_RETRY_MS;
  /** Connects made so far, for the status line and tests. */
  connects = 0;

  constructor(
    private readonly url: string,
    private readonly events: ConnectionEvents,
  ) {}

  start(): void {
    this.open();
  }

  /** Sends a text message if the socket is open; false otherwise. */
  send(text: string): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(text);
    return true;
  }

  /** Drops the current socket as if the network had cut it; a reconnect follows. */
  drop(): void {
    this.socket?.close();
  }

  private open(): void {
    this.events.onState('connecting', 0);
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.connects += 1;
      this.events.onState('open', 0);
    };
    socket.onmessage = (message: MessageEvent<unknown>) => {
      if (!(message.data instanceof ArrayBuffer)) return; // the server sends binary frames only
      let frame: WireFrame;
      try {
        frame = decodeFrame(new Uint8Array(message.data));
      } catch (err) {
        this.events.onError(`undecodable frame: ${(err as Error).message}`);
        return;
      }
      // a whole frame arrived: the link works, so the next outage starts from a short wait
      if (frame.kind === 'meta') this.retryMs = FIRST_RETRY_MS;
      this.events.onFrame(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleRetry();
    };
    // an error is always followed by close; nothing to do here
    socket.onerror = () => undefined;
  }

  private scheduleRetry(): void {
    const waitMs = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.events.onState('waiting', Date.now() + waitMs);
    setTimeout(() => this.open(), waitMs);
  }
}
