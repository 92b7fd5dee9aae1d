// nostr-tools as a command line, to cross-check mesh-llm's Nostr code against the reference JavaScript library.
//
//   node tools.mjs sign NSEC_OR_HEX KIND CONTENT TAGS_JSON CREATED_AT   prints the signed event as JSON
//   node tools.mjs verify < event.json                                   prints true or false (id and signature)
//   node tools.mjs hash < event.json                                     prints the NIP-01 id nostr-tools computes
//   node tools.mjs npub HEX | nsec HEX                                   prints the NIP-19 encoding
//   node tools.mjs decode NIP19                                          prints {"type":..,"data":..} (hex for keys)
//   node tools.mjs listing < event.json                                  checks a mesh-llm listing as a JavaScript client
//                                                                        would and prints what it read, or {"valid":false,...}
import { finalizeEvent, getEventHash, verifyEvent } from 'nostr-tools/pure';
import * as nip19 from 'nostr-tools/nip19';

const hexToBytes = hex => {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`not hex: ${hex}`);
  return Uint8Array.from(hex.match(/../g) ?? [], b => parseInt(b, 16));
};
const bytesToHex = bytes => Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');

function secretKey(text) {
  if (text.startsWith('nsec1')) {
    const { type, data } = nip19.decode(text);
    if (type !== 'nsec') throw new Error(`not an nsec: ${type}`);
    return data;
  }
  return hexToBytes(text);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'sign': {
    const [key, kind, content, tags, createdAt] = args;
    const event = finalizeEvent(
      { kind: parseInt(kind, 10), content, tags: JSON.parse(tags), created_at: parseInt(createdAt, 10) },
      secretKey(key));
    process.stdout.write(JSON.stringify(event) + '\n');
    break;
  }
  case 'verify':
    process.stdout.write(String(verifyEvent(JSON.parse(await readStdin()))) + '\n');
    break;
  case 'hash':
    process.stdout.write(getEventHash(JSON.parse(await readStdin())) + '\n');
    break;
  case 'npub':
    process.stdout.write(nip19.npubEncode(args[0]) + '\n');
    break;
  case 'nsec':
    process.stdout.write(nip19.nsecEncode(hexToBytes(args[0])) + '\n');
    break;
  case 'decode': {
    const { type, data } = nip19.decode(args[0]);
    process.stdout.write(JSON.stringify({ type, data: data instanceof Uint8Array ? bytesToHex(data) : data }) + '\n');
    break;
  }
  case 'listing': {
    // What a JavaScript discoverer does with a mesh-llm listing: verify it, check kind and tags, parse the content.
    const event = JSON.parse(await readStdin());
    const tag = name => (event.tags.find(t => t[0] === name) ?? [])[1];
    const problems = [];
    if (!verifyEvent(event)) problems.push('bad id or signature');
    if (event.kind !== 31990) problems.push(`kind ${event.kind}`);
    if (tag('d') !== 'mesh-llm' || tag('k') !== 'mesh-llm') problems.push('d/k tags');
    const expiration = parseInt(tag('expiration'), 10);
    if (!(expiration > event.created_at)) problems.push('no expiration after created_at');
    let listing = null;
    try { listing = JSON.parse(event.content); } catch (e) { problems.push(`content: ${e.message}`); }
    process.stdout.write(JSON.stringify(problems.length > 0 ? { valid: false, problems } : {
      valid: true, ttl: expiration - event.created_at, invite_token: listing.invite_token, serving: listing.serving,
      node_count: listing.node_count, mesh_id: listing.mesh_id, started_at: listing.started_at,
      models: (listing.models ?? []).map(m => `${m.name}:${m.nodes}:${m.quality}:${m.rpm}`),
    }) + '\n');
    break;
  }
  default:
    process.stderr.write('usage: tools.mjs sign|verify|hash|npub|nsec|decode|listing ...\n');
    process.exit(2);
}
