import dns from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'
import webhooksConfig from '#config/webhooks'

/**
 * Where a webhook may go. Outside development and tests a URL must be https
 * and its host must resolve only to public addresses: never loopback,
 * private, link-local (cloud metadata at 169.254.169.254), carrier-grade
 * NAT, multicast or reserved ranges, nor an IPv6 form of one. Checked when
 * an endpoint is saved and again at the connection of every attempt, on
 * the very addresses the socket then connects to (a name that resolved to
 * a public address at save time may resolve elsewhere later).
 */

/** An attempt refused before any connection: the target is not a public https URL. */
export class RefusedWebhookTarget extends Error {
  readonly code = 'E_WEBHOOK_TARGET_REFUSED'
}

/** An address the public internet routes ("unicast" in ipaddr.js's ranges). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  // ::ffff:127.0.0.1 is 127.0.0.1
  return ipaddr.process(address).range() === 'unicast'
}

/** The URL's host when it is an address (`[::1]` without its brackets). */
function addressOfHost(hostname: string): string | null {
  const host = hostname.replace(/^\[(.*)\]$/, '$1')
  return isIP(host) ? host : null
}

function resolveAll(
  hostname: string,
  family?: number | 'IPv4' | 'IPv6'
): Promise<dns.LookupAddress[]> {
  return new Promise((resolve, reject) =>
    dns.lookup(
      hostname,
      { all: true, family: family ?? 0 } as dns.LookupAllOptions,
      (error, addresses) => (error ? reject(error) : resolve(addresses))
    )
  )
}

/** The first address of `addresses` that is not public, if any. */
function privateAmong(addresses: string[]) {
  return addresses.find((address) => !isPublicAddress(address))
}

const refusedAddress = (host: string, address: string) =>
  new RefusedWebhookTarget(`${host} resolves to ${address}, which is not a public address`)

/**
 * What the URL breaks of the rules above, in words, without connecting
 * (a name is resolved), or null when it may receive webhooks.
 */
export async function webhookUrlRefusal(
  url: string,
  allowPrivate = webhooksConfig.allowsPrivateTargets()
): Promise<string | null> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return 'must be an absolute URL'
  }
  const protocols = allowPrivate ? ['https:', 'http:'] : ['https:']
  if (!protocols.includes(target.protocol)) {
    return allowPrivate ? 'must be an http or https URL' : 'must be an https URL'
  }
  if (target.username || target.password) return 'must not carry a user name or password'
  if (allowPrivate) return null

  const literal = addressOfHost(target.hostname)
  let addresses: string[]
  try {
    const resolved = literal ? [] : await resolveAll(target.hostname)
    addresses = literal ? [literal] : resolved.map((entry) => entry.address)
  } catch {
    return `its host ${target.hostname} does not resolve`
  }
  const refused = privateAmong(addresses)
  return refused ? refusedAddress(target.hostname, refused).message : null
}

/**
 * The `lookup` of an attempt's socket: resolves the name, refuses it when
 * any of its addresses is not public, and hands the socket those checked
 * addresses, so nothing resolves the name again between check and connect.
 */
export const publicAddressLookup = ((hostname, options, callback) => {
  resolveAll(hostname, options.family).then(
    (addresses) => {
      const refused = privateAmong(addresses.map((entry) => entry.address))
      if (refused || addresses.length === 0) {
        return callback(refusedAddress(hostname, refused ?? 'nothing'), '', 0)
      }
      if (options.all) return (callback as any)(null, addresses)
      callback(null, addresses[0].address, addresses[0].family)
    },
    (error) => callback(error, '', 0)
  )
}) as LookupFunction

/**
 * Refuses, before any socket exists, a target the socket's lookup would not
 * see: the scheme, and a host written as an address (Node connects to an
 * address without looking it up).
 */
export function assertAttemptTarget(url: URL, allowPrivate: boolean) {
  if (allowPrivate) return
  if (url.protocol !== 'https:') throw new RefusedWebhookTarget('not an https URL')
  const literal = addressOfHost(url.hostname)
  if (literal && !isPublicAddress(literal)) throw refusedAddress(url.hostname, literal)
}
