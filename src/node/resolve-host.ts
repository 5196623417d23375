/** node:dns for metadata URLs: every address a host name has (A and AAAA), so none of them may point inside. */
import { lookup } from 'node:dns/promises';
import type { HostResolver } from '../services/metadata-fetch.js';

export const resolveHost: HostResolver = async (hostname) => {
  const results = await lookup(hostname, { all: true, verbatim: true });
  return results.map((result) => result.address);
};
