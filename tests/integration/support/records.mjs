// Small helpers the cluster tests share: every event a socket receives, a
// bounded wait for a condition, and the serverless group names.
import assert from 'node:assert/strict';
import { sleep } from './clients.mjs';

const b64u = (s) => Buffer.from(s).toString('base64url');

/** The group of namespace `ns` (every socket of it). */
export const nsGroup = (ns) => `0~${b64u(ns)}~`;

/** The group of room `room` in namespace `ns` (a socket's own room is its id). */
export const roomGroup = (ns, room) => `0~${b64u(ns)}~${b64u(room)}`;

/** Collects every event a socket receives, in order, as [name, ...args]. */
export function recorder(socket) {
  const got = [];
  socket.onAny((...args) => got.push(args));
  return got;
}

/** Waits until `pred()` (sync or async) holds; fails after timeoutMs. */
export async function until(pred, timeoutMs = 3000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(20);
  }
  assert.fail(`${what} not met within ${timeoutMs} ms`);
}
