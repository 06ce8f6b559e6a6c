import type { FastifyRequest } from 'fastify';
import type { AccountStore, Principal } from '../../accounts/types.ts';
import { ACCESS_COOKIE, cookieOf } from './cookies.ts';
import { verifyAccessToken } from './tokens.ts';

export type SessionAccounts = Pick<AccountStore, 'secret' | 'sessionAlive' | 'getUser' | 'memberships'>;

/**
 * The signed-in user of a request's access cookie, or null: a token with a good signature, not expired,
 * whose session family is alive (logout and refresh-token reuse end it at once) and whose user is not
 * disabled. Passed to installAuthenticate (api/auth/authenticate.ts).
 */
export function sessionPrincipal(accounts: SessionAccounts) {
  return async (req: FastifyRequest): Promise<Principal | null> => {
    const token = cookieOf(req, ACCESS_COOKIE);
    if (!token) return null;
    const claims = await verifyAccessToken(token, await accounts.secret());
    if (!claims || !(await accounts.sessionAlive(claims.family))) return null;
    const user = await accounts.getUser(claims.userId);
    if (!user || user.disabled) return null;
    return {
      kind: 'session',
      user,
      sessionFamily: claims.family,
      memberships: await accounts.memberships(user.id),
    };
  };
}
