// The connected UI clients: send each the frames it should get, without letting a
// slow or dead client hold memory. A client whose send buffer is over the soft limit
// misses frames (it stays connected and catches up with the next one); one that
// misses too many in a row, is over the hard limit, or is silent through two pings,
// is dropped.
import type { WebSocket } from 'ws';

export interface HubLimits {
  softBufferBytes: number;
  hardBufferBytes: number;
  pingIntervalMs: number;
  maxClients: number;
  /** Frames a client may miss in a row before it is dropped. */
  maxSkippedInARow: number;
}

export const DEFAULT_HUB_LIMITS: HubLimits = {
  softBufferBytes: 1 << 20,
  hardBufferBytes: 16 << 20,
  pingIntervalMs: 15_000,
  maxClients: 200,
  maxSkippedInARow: 30,
};

interface Client {
  socket: WebSocket;
  alive: boolean;
  skippedInARow: number;
}

export class ClientHub {
  private readonly clients = new Set<Client>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly limits: HubLimits = DEFAULT_HUB_LIMITS) {
    this.pinger = setInterval(() => this.ping(), limits.pingIntervalMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  isFull(): boolean {
    return this.clients.size >= this.limits.maxClients;
  }

  add(socket: WebSocket): void {
    const client: Client = { socket, alive: true, skippedInARow: 0 };
    this.clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => socket.terminate());
  }

  /** Sends to one client, honouring its buffer limits. */
  sendTo(socket: WebSocket, bytes: Uint8Array): boolean {
    if (socket.readyState !== socket.OPEN) return false;
    if (socket.bufferedAmount > this.limits.hardBufferBytes) {
      socket.terminate();
      return false;
    }
    if (socket.bufferedAmount > this.limits.softBufferBytes) return false;
    socket.send(bytes, { binary: true });
    return true;
  }

  broadcast(bytes: Uint8Array): void {
    for (const client of this.clients) {
      if (this.sendTo(client.socket, bytes)) client.skippedInARow = 0;
      else if (++client.skippedInARow > this.limits.maxSkippedInARow) client.socket.terminate();
    }
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  close(): void {
    clearInterval(this.pinger);
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
  }
}
