import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountStore, AuditEvent, User } from '../../accounts/types.ts';
import type { AuthConfig } from '../../core/config.ts';
import { setSessionCookies } from './cookies.ts';
import { signAccessToken } from './tokens.ts';

export type SignInMethod = 'password' | 'google' | 'github';

/** The audit entry of a sign-in event: the address and request id, never a password or token. */
export function authEvent(
  req: FastifyRequest,
  action: 'auth.sign_in' | 'auth.sign_in_failed' | 'auth.sign_out' | 'auth.refresh_reuse',
  who: { user?: User | null; email?: string | null },
  after: Record<string, unknown>,
): AuditEvent {
  const email = who.user?.email ?? who.email ?? null;
  return {
    action,
    resource: who.user ? `user:${who.user.id}` : email ? `email:${email}` : 'session',
    workspaceId: null,
    actor: { userId: who.user?.id ?? null, email, role: null, keyId: null },
    after,
    requestId: req.id,
    address: req.ip,
  };
}

/**
 * Opens a session for a user who proved who they are: a new refresh family with its `auth.sign_in` entry
 * (one transaction: no session without its entry), then the cookies.
 */
export async function startSession(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: { accounts: AccountStore; auth: AuthConfig },
  user: User,
  method: SignInMethod,
): Promise<void> {
  const ua = req.headers['user-agent'];
  const session = await deps.accounts.createSession(
    user.id,
    { address: req.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null },
    authEvent(req, 'auth.sign_in', { user }, { method }),
  );
  const accessToken = await signAccessToken(
    { userId: user.id, family: session.family },
    await deps.accounts.secret(),
    deps.auth.accessTtlS,
  );
  setSessionCookies(reply, deps.auth, {
    accessToken,
    refreshToken: session.refreshToken,
    refreshExpiresAt: session.expiresAt,
  });
}

/** A same-origin path to land on after sign-in, or `/`: never another origin (`//evil`, `/\evil`, a URL). */
export function safeReturnTo(v: unknown): string {
  if (typeof v !== 'string' || v.length > 2048) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (!v.startsWith('/') || v.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(v)) return '/';
  return v;
}
