// The probes' small parsers on their own: the JSON path walker, tcp's host:port and dns's server address,
// with the inputs an admin (or an attacker with admin rights) might type.
import { describe, expect, it } from 'vitest';
import { parseServer } from '../../../node-core/src/monitoring/probes/dns.js';
import { MAX_PATH_CHARS, MAX_PATH_STEPS, jsonValueText, parseJsonPath, walkJson } from '../../../node-core/src/monitoring/probes/json-path.js';
import { parseHostPort } from '../../../node-core/src/monitoring/probes/tcp.js';

const steps = (p: string): unknown => {
  const r = parseJsonPath(p);
  return 'steps' in r ? r.steps : r.error;
};

describe('JSON path', () => {
  it('parses both spellings, indexes and quoted keys', () => {
    expect(steps('$.a.b[0].c')).toEqual(['a', 'b', 0, 'c']);
    expect(steps('a.b[0].c')).toEqual(['a', 'b', 0, 'c']);
    expect(steps('$')).toEqual([]);
    expect(steps('$[2][0]')).toEqual([2, 0]);
    expect(steps(`$['a.b']["c d"]`)).toEqual(['a.b', 'c d']);
  });
  it('refuses what it does not understand, and long or deep paths', () => {
    for (const bad of ['$.', '$..a', '$.a[', '$.a[-1]', '$.a[*]', '$.a[?(@.x)]', '.a', 'a[0', '$x', '$.a[1e3]']) {
      expect(steps(bad), bad).toMatch(/^bad JSON path/);
    }
    expect(steps(`$${'.a'.repeat(MAX_PATH_STEPS)}`)).toEqual(Array(MAX_PATH_STEPS).fill('a'));
    expect(steps(`$${'.a'.repeat(MAX_PATH_STEPS + 1)}`)).toBe(`JSON path has more than ${MAX_PATH_STEPS} steps`);
    expect(steps('$.' + 'x'.repeat(MAX_PATH_CHARS))).toBe(`JSON path longer than ${MAX_PATH_CHARS} characters`);
  });
  it('walks own properties only: no prototype, no array length, no string indexing', () => {
    const doc = JSON.parse('{"a":{"__proto__":{"x":1},"list":[10,null]},"s":"text"}') as unknown;
    expect(walkJson(doc, ['a', '__proto__', 'x'])).toEqual({ found: true, value: 1 });
    expect(walkJson(doc, ['a', 'list', 1])).toEqual({ found: true, value: null });
    expect(walkJson(doc, ['a', 'list', 2]).found).toBe(false);
    expect(walkJson(doc, ['a', 'list', 'length']).found).toBe(false);
    expect(walkJson(doc, ['a', 'toString']).found).toBe(false);
    expect(walkJson(doc, ['s', 0]).found).toBe(false);
    expect(walkJson(doc, ['s', 'length']).found).toBe(false);
    expect(walkJson({}, ['constructor']).found).toBe(false);
  });
  it('values as text: strings as they are, the rest as JSON', () => {
    expect([jsonValueText('up'), jsonValueText(3), jsonValueText(true), jsonValueText(null), jsonValueText({ a: [1] })]).toEqual(['up', '3', 'true', 'null', '{"a":[1]}']);
  });
});

describe('tcp host:port', () => {
  it('takes names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('db.internal:5432')).toEqual({ host: 'db.internal', port: 5432 });
    expect(parseHostPort('10.0.0.5:80')).toEqual({ host: '10.0.0.5', port: 80 });
    expect(parseHostPort('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseHostPort('[fe80::1%eth0]:22')).toEqual({ host: 'fe80::1%eth0', port: 22 });
  });
  it('refuses the rest', () => {
    for (const bad of ['', 'host', 'host:', ':80', 'host:0', 'host:65536', 'host:123456', '::1:80', '[::1]', '[x]:80', 'a b:1', 'http://h:80', `${'h'.repeat(254)}:80`]) {
      expect(parseHostPort(bad), bad).toBeUndefined();
    }
  });
});

describe('dns server address', () => {
  it('takes an IP with or without a port', () => {
    expect(parseServer('127.0.0.1')).toBe('127.0.0.1');
    expect(parseServer('127.0.0.1:5353')).toBe('127.0.0.1:5353');
    expect(parseServer('::1')).toBe('::1');
    expect(parseServer('[::1]:5353')).toBe('[::1]:5353');
  });
  it('refuses names, bad ports and junk', () => {
    for (const bad of ['', 'dns.google', 'dns.google:53', '1.2.3.4:0', '1.2.3.4:65536', '1.2.3.4:99999', '[::1]:', '[1.2.3.4]:53x', '1.2.3.4.5']) {
      expect(parseServer(bad), bad).toBeUndefined();
    }
  });
});
