import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

/**
 * Who a client is, for per-client limits: its address as `trust proxy` lets Express see it
 * (TRUST_PROXY), an IPv6 address widened to its /56, since one host may hold a whole /64.
 */
export function clientKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}
