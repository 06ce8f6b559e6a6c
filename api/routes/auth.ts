import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { AccountStore, User } from '../../accounts/types.ts';
import type { Config } from '../../core/config.ts';
import { AppError, errors } from '../../core/errors.ts';
import {
  ACCESS_COOKIE,
  CSRF_COOKIE,
  clearOAuthCookie,
  clearSessionCookies,
  cookieOf,
  OAUTH_COOKIE,
  OAUTH_TTL_S,
  REFRESH_COOKIE,
  setOAuthCookie,
  setSessionCookies,
} from '../auth/cookies.ts';
import { githubAuthorizationRequest, githubIdentity } from '../auth/github.ts';
import { type LoginLimiter, memoryLoginLimiter, redisLoginLimiter } from '../auth/login-limit.ts';
import { authorizationRequest, completeSignIn, SignInRefused } from '../auth/oidc.ts';
import { authEvent, safeReturnTo, startSession } from '../auth/sign-in.ts';
import { signAccessToken, signOAuthState, verifyAccessToken, verifyOAuthState } from '../auth/tokens.ts';
import { problems } from './schemas.ts';

/** What the sign-in routes read of the server's context. */
export interface AuthRoutesContext {
  config: Pick<Config, 'auth' | 'queue'>;
  accounts: AccountStore;
}

const PUBLIC = { permission: 'public' } as const;
const UserView = z.object({ id: z.number(), email: z.string(), name: z.string().nullable() });
/** A redirect: to the provider, or back to the page after sign-in (the Location header). */
const Redirect = z.null().describe('302 to the Location header');
const userView = (u: User) => ({ id: u.id, email: u.email, name: u.name });
const WRONG_PASSWORD = 'wrong email or password';
const NOT_A_MEMBER =
  'no evalhouse account has this email address: ask an admin to add you (members are added by email)';

/** The sign-in routes: providers, password login, Google and GitHub, refresh and logout (all public). */
export async function authRoutes(app: FastifyInstance, { ctx }: { ctx: AuthRoutesContext }): Promise<void> {
  const { accounts } = ctx;
  const auth = ctx.config.auth;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const limits = { maxAttempts: auth.loginMaxAttempts, windowS: auth.loginWindowS };
  let limiter: LoginLimiter;
  if (ctx.config.queue.redisUrl) {
    const redis = new Redis(ctx.config.queue.redisUrl, { maxRetriesPerRequest: 3 });
    redis.on('error', () => undefined); // a command's failure reaches its caller; no unhandled event
    app.addHook('onClose', async () => void redis.disconnect());
    limiter = redisLoginLimiter(redis, ctx.config.queue.prefix, limits);
  } else {
    limiter = memoryLoginLimiter(limits);
  }
  const deps = { accounts, auth };

  r.get(
    '/auth/providers',
    {
      config: PUBLIC,
      schema: {
        summary: 'Which sign-in methods this server offers (and whether sign-in is needed at all)',
        response: {
          200: z.object({
            auth: z.boolean(),
            password: z.boolean(),
            google: z.boolean(),
            github: z.boolean(),
          }),
        },
      },
    },
    async () => ({
      auth: auth.enabled,
      password: auth.enabled && auth.password,
      google: auth.enabled && auth.google !== null,
      github: auth.enabled && auth.github !== null,
    }),
  );

  r.post(
    '/auth/login',
    {
      config: PUBLIC,
      schema: {
        summary: 'Sign in with email and password: sets the session cookies',
        body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) }).strict(),
        response: { 200: z.object({ user: UserView }), ...problems(400, 401, 404, 429) },
      },
    },
    async (req, reply) => {
      if (!auth.enabled) throw signInOff();
      if (!auth.password) throw errors.notFound('sign-in method', 'password');
      const email = req.body.email.trim().toLowerCase();
      const wait = await limiter.blockedFor(email, req.ip);
      if (wait > 0) {
        await accounts.audit.append(
          authEvent(req, 'auth.sign_in_failed', { email }, { method: 'password', reason: 'rate_limited' }),
        );
        reply.header('retry-after', String(wait));
        throw errors.rateLimited(`too many failed sign-ins; try again in ${wait} s`, wait);
      }
      const user = await accounts.verifyPassword(email, req.body.password);
      if (!user || user.disabled) {
        await limiter.recordFailure(email, req.ip);
        await accounts.audit.append(
          authEvent(
            req,
            'auth.sign_in_failed',
            { user, email },
            { method: 'password', reason: 'wrong_password' },
          ),
        );
        throw errors.unauthenticated(WRONG_PASSWORD);
      }
      await limiter.recordSuccess(email);
      await startSession(req, reply, deps, user, 'password');
      return { user: userView(user) };
    },
  );

  for (const provider of ['google', 'github'] as const) {
    r.get(
      `/auth/${provider}`,
      {
        config: PUBLIC,
        schema: {
          summary: `Sign in with ${provider === 'google' ? 'Google' : 'GitHub'}: redirects to the provider`,
          querystring: z.object({ return_to: z.string().max(2048).optional() }),
          response: { 302: Redirect, ...problems(400, 404, 503) },
        },
      },
      async (req, reply) => {
        if (!auth.enabled) throw signInOff();
        const redirectUri = callbackUrl(req, auth.publicUrl, provider);
        const returnTo = safeReturnTo(req.query.return_to);
        let url: string;
        let state: Parameters<typeof signOAuthState>[0];
        if (provider === 'google') {
          if (!auth.google) throw errors.notFound('sign-in method', provider);
          const a = await authorizationRequest(auth.google, redirectUri).catch(providerDown);
          url = a.url;
          state = { provider, state: a.state, nonce: a.nonce, verifier: a.verifier, returnTo };
        } else {
          if (!auth.github) throw errors.notFound('sign-in method', provider);
          const a = githubAuthorizationRequest(auth.github, redirectUri);
          url = a.url;
          state = { provider, state: a.state, returnTo };
        }
        setOAuthCookie(reply, await signOAuthState(state, await accounts.secret(), OAUTH_TTL_S));
        return reply.redirect(url, 302);
      },
    );

    r.get(
      `/auth/${provider}/callback`,
      {
        config: PUBLIC,
        schema: {
          summary: `Where ${provider === 'google' ? 'Google' : 'GitHub'} sends the browser back: signs in, 302 to the page`,
          querystring: z.object({
            code: z.string().max(4096).optional(),
            state: z.string().max(1024).optional(),
            error: z.string().max(256).optional(),
          }),
          response: { 302: Redirect, ...problems(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        if (!auth.enabled) throw signInOff();
        const fail = async (
          status: 401 | 403,
          reason: string,
          message: string,
          who: { user?: User | null; email?: string } = {},
        ) => {
          // the message says why (a refused ID token's claim, a missing verified email), never a token
          await accounts.audit.append(
            authEvent(req, 'auth.sign_in_failed', who, { method: provider, reason, message }),
          );
          return refusal(req, reply, status, message);
        };
        const cookie = cookieOf(req, OAUTH_COOKIE);
        clearOAuthCookie(reply);
        const saved = cookie ? await verifyOAuthState(cookie, await accounts.secret()) : null;
        const { code, state, error } = req.query;
        if (error) return fail(401, 'provider_error', `the provider did not sign you in (${error})`);
        if (!saved || saved.provider !== provider || !state || !code || !equal(saved.state, state))
          return fail(401, 'bad_state', 'this sign-in link is stale or was not started here: sign in again');
        const redirectUri = callbackUrl(req, auth.publicUrl, provider);
        let identity: { subject: string; email: string; name: string | null };
        try {
          if (provider === 'google') {
            if (!auth.google || !saved.nonce || !saved.verifier)
              throw errors.notFound('sign-in method', provider);
            identity = await completeSignIn(auth.google, {
              code,
              redirectUri,
              nonce: saved.nonce,
              verifier: saved.verifier,
            });
          } else {
            if (!auth.github) throw errors.notFound('sign-in method', provider);
            identity = await githubIdentity(auth.github, { code, redirectUri });
          }
        } catch (err) {
          if (err instanceof SignInRefused) return fail(401, 'refused', `sign-in failed: ${err.message}`);
          if (err instanceof AppError) throw err;
          req.log.warn({ err }, `${provider} sign-in: the provider could not be reached`);
          return fail(
            401,
            'provider_unreachable',
            `sign-in failed: ${provider} could not be reached; try again`,
          );
        }
        const user = await findUser(accounts, provider, identity);
        if (!user) return fail(403, 'not_a_member', NOT_A_MEMBER, { email: identity.email });
        if (user.disabled) return fail(403, 'disabled', 'this account is disabled: ask an admin', { user });
        await startSession(req, reply, deps, user, provider);
        return reply.redirect(saved.returnTo, 302);
      },
    );
  }

  r.post(
    '/auth/refresh',
    {
      config: PUBLIC,
      schema: {
        summary: 'A new access cookie for the refresh cookie (which rotates); a reused one ends its session',
        response: { 200: z.object({ user: UserView }), ...problems(401) },
      },
    },
    async (req, reply) => {
      const token = cookieOf(req, REFRESH_COOKIE);
      if (!token) throw errors.unauthenticated('not signed in (no refresh cookie)');
      const rotated = await accounts.rotateRefresh(token);
      if (!rotated.ok) {
        clearSessionCookies(reply);
        if (rotated.reason === 'reused')
          await accounts.audit.append(authEvent(req, 'auth.refresh_reuse', {}, { reason: 'reused' }));
        throw errors.unauthenticated(
          rotated.reason === 'reused'
            ? 'this session was ended: its refresh token had been used already (sign in again)'
            : 'the session has expired or was ended: sign in again',
        );
      }
      const user = await accounts.getUser(rotated.userId);
      if (!user || user.disabled) {
        await accounts.revokeFamily(rotated.family);
        clearSessionCookies(reply);
        throw errors.unauthenticated('this account is disabled');
      }
      const accessToken = await signAccessToken(
        { userId: user.id, family: rotated.family },
        await accounts.secret(),
        auth.accessTtlS,
      );
      setSessionCookies(reply, auth, {
        accessToken,
        refreshToken: rotated.refreshToken,
        refreshExpiresAt: rotated.expiresAt,
        csrf: cookieOf(req, CSRF_COOKIE),
      });
      return { user: userView(user) };
    },
  );

  r.post(
    '/auth/logout',
    {
      config: PUBLIC,
      schema: {
        summary: 'Ends the session (its refresh family) and clears the cookies',
        response: { 204: z.null().describe('signed out'), ...problems(403) },
      },
    },
    async (req, reply) => {
      const secret = await accounts.secret();
      const access = cookieOf(req, ACCESS_COOKIE);
      // an expired access token still names its family; else the refresh token does
      const claims = access ? await verifyAccessToken(access, secret, new Date(), auth.refreshTtlS) : null;
      let family = claims?.family;
      let userId = claims?.userId;
      const refresh = cookieOf(req, REFRESH_COOKIE);
      if (!family && refresh) {
        const rotated = await accounts.rotateRefresh(refresh);
        if (rotated.ok) {
          family = rotated.family;
          userId = rotated.userId;
        }
      }
      if (family) {
        await accounts.revokeFamily(family);
        const user = userId !== undefined ? await accounts.getUser(userId) : null;
        await accounts.audit.append(authEvent(req, 'auth.sign_out', { user }, {}));
      }
      clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );
}

const signInOff = () =>
  errors.badRequest('sign-in is off on this server (AUTH): every request acts as the local admin');

function providerDown(): never {
  throw errors.unavailable('the sign-in provider could not be reached; try again');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The redirect URI registered with the provider: PUBLIC_URL's, else the origin the request came to. */
function callbackUrl(req: FastifyRequest, publicUrl: string | undefined, provider: string): string {
  const origin = publicUrl ?? `${req.protocol}://${req.host}`;
  return `${origin.replace(/\/$/, '')}/auth/${provider}/callback`;
}

/**
 * The account an external identity signs in to: the one linked to it, else the one with its verified
 * email (then linked). Nobody else: members are added by an admin.
 */
async function findUser(
  accounts: AccountStore,
  provider: 'google' | 'github',
  identity: { subject: string; email: string },
): Promise<User | null> {
  const linked = await accounts.findUserByIdentity(provider, identity.subject);
  if (linked) return linked;
  const byEmail = await accounts.findUserByEmail(identity.email.trim().toLowerCase());
  if (!byEmail) return null;
  await accounts.linkIdentity(provider, identity.subject, byEmail.id);
  return byEmail;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** A refused browser sign-in: a short page for a browser, the coded JSON error for anything else. */
function refusal(req: FastifyRequest, reply: FastifyReply, status: 401 | 403, message: string) {
  const err = status === 401 ? errors.unauthenticated(message) : errors.forbidden(message);
  if (!(req.headers.accept ?? '').includes('text/html')) throw err;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><meta charset="utf-8"><title>Sign-in refused · evalhouse</title>` +
        `<h1>Sign-in refused</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to evalhouse</a></p></html>`,
    );
}
