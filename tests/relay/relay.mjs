// A real Nostr relay for mesh-llm's tests: @nostr-relay/core over `ws` on 127.0.0.1, events kept in memory.
//
//   node relay.mjs PORT      (0 = any free port)
//
// Prints one line "listening PORT" on stdout when ready. Exits on SIGTERM/SIGINT or when stdin closes, so a
// test process that dies never leaves a relay behind. Plain Node.js 18 APIs only (Debian 12's nodejs).
import core from '@nostr-relay/core';
import common from '@nostr-relay/common';
import { WebSocketServer } from 'ws';

const { NostrRelay } = core;
const { EventRepository, LogLevel } = common;

const isReplaceable = kind => kind === 0 || kind === 3 || (kind >= 10000 && kind < 20000);
const isAddressable = kind => kind >= 30000 && kind < 40000;
const dTag = event => (event.tags.find(t => t[0] === 'd') ?? [])[1] ?? '';
const expiration = event => {
  const tag = event.tags.find(t => t[0] === 'expiration');
  const value = tag ? parseInt(tag[1], 10) : NaN;
  return Number.isNaN(value) ? null : value;
};
const now = () => Math.floor(Date.now() / 1000);

/** The address a replaceable event replaces within (NIP-01), or null for a regular event. */
function addressOf(event) {
  if (isReplaceable(event.kind)) return `${event.kind}:${event.pubkey}:`;
  if (isAddressable(event.kind)) return `${event.kind}:${event.pubkey}:${dTag(event)}`;
  return null;
}

/** NIP-01 order of preference: newer first; on equal created_at, the lowest id. */
const newerFirst = (a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The repository @nostr-relay/core delegates storage to: it checks ids and signatures itself, rejects events that
 * are already expired, and hands kind 5 to deleteByDeletionRequest instead of upsert. Everything else is here:
 * filters (ids, authors, kinds, #x tags, since, until, limit), replaceable and addressable events, NIP-09 deletion
 * (events and addresses, same author only, later re-publishing refused) and NIP-40 expiry on read.
 */
class MemoryEventRepository extends EventRepository {
  constructor() {
    super();
    this.events = new Map(); // id -> event
    this.deletedIds = new Map(); // id -> pubkey of the deletion's author
    this.deletedAddresses = new Map(); // address -> created_at of the deletion
  }

  isSearchSupported() {
    return false;
  }

  upsert(event) {
    if (this.events.has(event.id)) return { isDuplicate: true };
    if (this.deletedIds.get(event.id) === event.pubkey) throw new Error('blocked: this event was deleted');
    const address = addressOf(event);
    if (address !== null) {
      const deletedAt = this.deletedAddresses.get(address);
      if (deletedAt !== undefined && event.created_at <= deletedAt) throw new Error('blocked: this address was deleted');
      for (const old of this.events.values()) {
        if (addressOf(old) !== address) continue;
        if (newerFirst(old, event) <= 0) return { isDuplicate: true }; // the stored one wins
        this.events.delete(old.id);
      }
    }
    this.events.set(event.id, event);
    return { isDuplicate: false };
  }

  find(filter) {
    const tagFilters = Object.entries(filter).filter(([key, values]) => key.length === 2 && key[0] === '#' && Array.isArray(values));
    const time = now();
    const found = [...this.events.values()].filter(e =>
      (!filter.ids || filter.ids.includes(e.id)) &&
      (!filter.authors || filter.authors.includes(e.pubkey)) &&
      (!filter.kinds || filter.kinds.includes(e.kind)) &&
      (filter.since === undefined || e.created_at >= filter.since) &&
      (filter.until === undefined || e.created_at <= filter.until) &&
      tagFilters.every(([key, values]) => e.tags.some(t => t[0] === key[1] && values.includes(t[1]))) &&
      !(expiration(e) !== null && expiration(e) <= time));
    found.sort(newerFirst);
    return filter.limit === undefined ? found : found.slice(0, filter.limit);
  }

  async deleteByDeletionRequest(request) {
    for (const [name, value] of request.tags) {
      if (name === 'e' && typeof value === 'string') {
        const target = this.events.get(value);
        if (target && target.pubkey !== request.pubkey) continue;
        if (target && target.kind === 5) continue; // deleting a deletion has no effect
        this.events.delete(value);
        this.deletedIds.set(value, request.pubkey);
      } else if (name === 'a' && typeof value === 'string') {
        const [kind, pubkey, ...d] = value.split(':');
        if (pubkey !== request.pubkey) continue;
        const address = `${kind}:${pubkey}:${d.join(':')}`;
        const before = this.deletedAddresses.get(address) ?? -1;
        this.deletedAddresses.set(address, Math.max(before, request.created_at));
        for (const old of [...this.events.values()]) {
          if (addressOf(old) === address && old.created_at <= request.created_at) this.events.delete(old.id);
        }
      }
    }
    // NIP-09: relays keep serving the deletion request itself.
    this.events.set(request.id, request);
  }

  async destroy() {
    this.events.clear();
  }
}

function isEventShaped(e) {
  return e !== null && typeof e === 'object' &&
    typeof e.id === 'string' && typeof e.pubkey === 'string' && typeof e.sig === 'string' &&
    typeof e.content === 'string' && Number.isInteger(e.created_at) && Number.isInteger(e.kind) &&
    Array.isArray(e.tags) && e.tags.every(t => Array.isArray(t) && t.every(v => typeof v === 'string'));
}

/** The checks @nostr-relay/validator would make before handleMessage; null when fine, else the NOTICE text. */
function invalidReason(message) {
  if (!Array.isArray(message) || typeof message[0] !== 'string') return 'invalid: not a JSON array with a message type';
  switch (message[0]) {
    case 'EVENT':
      return isEventShaped(message[1]) ? null : 'invalid: malformed event';
    case 'REQ':
      return typeof message[1] === 'string' && message.slice(2).every(f => f !== null && typeof f === 'object' && !Array.isArray(f))
        ? null : 'invalid: malformed REQ';
    case 'CLOSE':
      return typeof message[1] === 'string' ? null : 'invalid: malformed CLOSE';
    default:
      return `invalid: unsupported message type ${message[0]}`;
  }
}

const port = parseInt(process.argv[2] ?? '0', 10);
const relay = new NostrRelay(new MemoryEventRepository(), {
  logLevel: LogLevel.ERROR,
  filterResultCacheTtl: 0, // tests query right after publishing and deleting
  eventHandlingResultCacheTtl: 0,
});
const server = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 4 * 1024 * 1024 });

server.on('connection', (ws, request) => {
  relay.handleConnection(ws, request.socket.remoteAddress);
  ws.on('message', async (data, isBinary) => {
    let message;
    try {
      message = JSON.parse(isBinary ? Buffer.from(data).toString('utf8') : data.toString());
    } catch {
      ws.send(JSON.stringify(['NOTICE', 'invalid: not JSON']));
      return;
    }
    const reason = invalidReason(message);
    if (reason !== null) {
      ws.send(JSON.stringify(['NOTICE', reason]));
      return;
    }
    try {
      await relay.handleMessage(ws, message);
    } catch (error) {
      ws.send(JSON.stringify(['NOTICE', `error: ${error.message}`]));
    }
  });
  ws.on('close', () => relay.handleDisconnect(ws));
  ws.on('error', () => relay.handleDisconnect(ws));
});

server.on('listening', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

server.on('error', error => {
  process.stderr.write(`relay: ${error.message}\n`);
  process.exit(1);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  for (const client of server.clients) client.terminate();
  server.close(() => relay.destroy().finally(() => process.exit(0)));
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
