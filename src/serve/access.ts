// Who may talk to the server. Pure.
// - Loopback binds need no token; any other bind needs one (refused otherwise).
// - The Host header must name this server (stops DNS rebinding of a localhost UI).
// - A browser's Origin must be this server's own origin (stops cross-site websocket
//   hijacking); clients that send no Origin (curl, scripts) are allowed.
// - The token, when set, must match, compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { FaultlineError } from '../model/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string): ListenAddress {
  const match = text.trim().match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/);
  const port = Number(match?.[3]);
  if (!match || !(port >= 0 && port <= 65535)) {
    throw new FaultlineError('E_BAD_VALUE', `--listen "${text}" is not HOST:PORT`, 'e.g. --listen 127.0.0.1:7070 or --listen [::1]:7070');
  }
  return { host: match[1] ?? match[2]!, port };
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** The Host header values under which this server may be addressed. */
export function allowedHostHeaders(listen: ListenAddress, actualPort: number): Set<string> {
  const names = isLoopbackHost(listen.host) ? ['127.0.0.1', 'localhost', '[::1]'] : [listen.host.includes(':') ? `[${listen.host}]` : listen.host];
  if (!isLoopbackHost(listen.host) && (listen.host === '0.0.0.0' || listen.host === '::')) return new Set(); // any: checked by token only
  return new Set(names.map((n) => `${n}:${actualPort}`));
}

export function hostHeaderOk(host: string | undefined, allowed: Set<string>): boolean {
  if (allowed.size === 0) return true;
  return host !== undefined && allowed.has(host.toLowerCase());
}

export function originOk(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

export function tokenOk(given: string | null, expected: string | null): boolean {
  if (expected === null) return true;
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A non-loopback bind without a token is refused before anything starts. */
export function checkListenAccess(listen: ListenAddress, token: string | null): void {
  if (!isLoopbackHost(listen.host) && !token) {
    throw new FaultlineError('E_NEEDS_TOKEN', `--listen ${listen.host} is not a loopback address and no --token was given`,
      'anyone who can reach the port would see this host: add --token SECRET, or --token auto to generate one');
  }
}

/** --token: none, a given secret, or "auto" for a random one. */
export function resolveToken(flag: string | undefined): string | null {
  return flag === 'auto' ? randomBytes(18).toString('base64url') : (flag ?? null);
}
