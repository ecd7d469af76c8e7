import { lookup as lookupCallback } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { InvalidRequestError } from '@tally/shared';

/** Addresses a webhook may not reach unless allowed: loopback, private, link-local, CGNAT, unspecified, multicast. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is one a webhook may not reach unless allowed. */
export function isPrivate(address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const mapped = family === 'ipv6' && /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  return PRIVATE.check(address, family);
}

const invalid = (message: string) => new InvalidRequestError(message, { field: 'url' });

/**
 * A subscription's URL: absolute http(s), no credentials in it, and (unless allowed) a host
 * that resolves only to public addresses.
 */
export async function checkWebhookUrl(value: string, allowPrivate: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url must be an http or https URL');
  if (url.username || url.password) throw invalid('url must not carry credentials');
  if (allowPrivate) return url.toString();
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    throw invalid(`url's host ${host} does not resolve`);
  }
  if (addresses.length === 0 || addresses.some(isPrivate)) {
    throw invalid('url must reach a public address (loopback, private and link-local ones are refused)');
  }
  return url.toString();
}

/** A send refused because its host is, or resolves to, an address webhooks may not reach. */
export class PrivateAddressError extends Error {
  override name = 'PrivateAddressError';
}

const refusal = (host: string, address: string) =>
  new PrivateAddressError(
    host === address
      ? `${host} is a private address: refused`
      : `${host} resolves to ${address}, a private address: refused`,
  );

/**
 * The check of checkWebhookUrl again at each send, against DNS rebinding (a host that
 * resolved to a public address when subscribed and to a private one now): a `lookup` for
 * the connection that fails when any address is private (unless allowed), so the socket
 * connects only to addresses checked here.
 */
export function publicOnlyLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = allowPrivate ? undefined : addresses.find((a) => isPrivate(a.address));
      if (refused) return callback(refusal(hostname, refused.address), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** A host written as an IP address is connected to without a lookup: checked here instead. */
export function checkAddressHost(hostname: string, allowPrivate: boolean): void {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isPrivate(host)) throw refusal(host, host);
}
