// A tiny authoritative DNS responder on UDP 127.0.0.1 for the dns probe's tests: answers from a fixed
// zone with hand-built packets (RFC 1035), NXDOMAIN for unknown names, SERVFAIL or silence on demand.
import dgram from 'node:dgram';

export type RR =
  | { type: 'A' | 'AAAA' | 'CNAME' | 'NS'; value: string }
  | { type: 'MX'; priority: number; exchange: string }
  | { type: 'TXT'; chunks: string[] }
  | { type: 'SRV'; priority: number; weight: number; port: number; name: string };

const TYPE_CODE: Record<RR['type'], number> = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, SRV: 33 };

export interface DnsResponder {
  port: number;
  /** "name TYPE" of every query received, in order */
  queries: string[];
  close(): Promise<void>;
}

/** zone: name (lower case, no trailing dot) → its records. Names in `servfail` get SERVFAIL; in `silent`, no answer. */
export async function startDnsResponder(zone: Record<string, RR[]>, opts: { servfail?: string[]; silent?: string[] } = {}): Promise<DnsResponder> {
  const sock = dgram.createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const q = parseQuestion(msg);
    if (!q) return;
    const typeName = (Object.keys(TYPE_CODE) as RR['type'][]).find((t) => TYPE_CODE[t] === q.qtype) ?? String(q.qtype);
    queries.push(`${q.name} ${typeName}`);
    if (opts.silent?.includes(q.name)) return;
    let rcode = 0;
    let answers: RR[] = [];
    if (opts.servfail?.includes(q.name)) rcode = 2;
    else if (!Object.hasOwn(zone, q.name)) rcode = 3;
    else answers = zone[q.name]!.filter((rr) => TYPE_CODE[rr.type] === q.qtype);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | rcode, 2); // QR, AA, RD copied, rcode
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const body = answers.map((rr) => {
      const rdata = encodeRdata(rr);
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0); // the question's name, compressed
      fixed.writeUInt16BE(TYPE_CODE[rr.type], 2);
      fixed.writeUInt16BE(1, 4); // IN
      fixed.writeUInt32BE(60, 6);
      fixed.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([fixed, rdata]);
    });
    sock.send(Buffer.concat([header, msg.subarray(12, q.end), ...body]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    port: sock.address().port,
    queries,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

function parseQuestion(msg: Buffer): { name: string; qtype: number; end: number } | undefined {
  if (msg.length < 17 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  for (let n = 0; n < 128; n++) {
    const len = msg[i];
    if (len === undefined || len > 63) return undefined;
    i++;
    if (len === 0) break;
    labels.push(msg.subarray(i, i + len).toString('latin1').toLowerCase());
    i += len;
  }
  if (i + 4 > msg.length) return undefined;
  return { name: labels.join('.'), qtype: msg.readUInt16BE(i), end: i + 4 };
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}

function u16(...ns: number[]): Buffer {
  const b = Buffer.alloc(ns.length * 2);
  ns.forEach((n, k) => b.writeUInt16BE(n, k * 2));
  return b;
}

function encodeRdata(rr: RR): Buffer {
  switch (rr.type) {
    case 'A':
      return Buffer.from(rr.value.split('.').map(Number));
    case 'AAAA':
      return ipv6Bytes(rr.value);
    case 'CNAME':
    case 'NS':
      return encodeName(rr.value);
    case 'MX':
      return Buffer.concat([u16(rr.priority), encodeName(rr.exchange)]);
    case 'TXT':
      return Buffer.concat(rr.chunks.map((c) => Buffer.concat([Buffer.from([Buffer.byteLength(c)]), Buffer.from(c)])));
    case 'SRV':
      return Buffer.concat([u16(rr.priority, rr.weight, rr.port), encodeName(rr.name)]);
  }
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return u16(...groups.map((g) => parseInt(g, 16)));
}
