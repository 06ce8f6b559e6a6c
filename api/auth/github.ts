import { randomBytes } from 'node:crypto';
import { SignInRefused } from './oidc.ts';

/** GitHub OAuth (not OpenID): state, the code exchange, then the user and their verified primary email. */
export interface GithubClient {
  clientId: string;
  clientSecret: string;
  /** https://github.com (the OAuth endpoints) */
  url: string;
  /** https://api.github.com */
  apiUrl: string;
}

export function githubAuthorizationRequest(
  client: GithubClient,
  redirectUri: string,
): { url: string; state: string } {
  const state = randomBytes(32).toString('base64url');
  const url = new URL(`${client.url}/login/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: 'read:user user:email',
    state,
    allow_signup: 'false',
  }).toString();
  return { url: url.toString(), state };
}

async function json(res: Response, what: string): Promise<unknown> {
  if (!res.ok) throw new SignInRefused(`GitHub refused ${what} (${res.status})`);
  return res.json();
}

export async function githubIdentity(
  client: GithubClient,
  p: { code: string; redirectUri: string },
): Promise<{ subject: string; email: string; name: string | null }> {
  const token = (await json(
    await fetch(`${client.url}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code: p.code,
        redirect_uri: p.redirectUri,
      }),
      signal: AbortSignal.timeout(10_000),
    }),
    'the authorization code',
  )) as { access_token?: unknown };
  // GitHub answers 200 with {error} for a bad code
  if (typeof token.access_token !== 'string')
    throw new SignInRefused('GitHub refused the authorization code');
  const headers = {
    authorization: `Bearer ${token.access_token}`,
    accept: 'application/vnd.github+json',
    'user-agent': 'evalhouse',
  };
  const get = async (path: string) =>
    json(await fetch(`${client.apiUrl}${path}`, { headers, signal: AbortSignal.timeout(10_000) }), path);
  const user = (await get('/user')) as { id?: unknown; name?: unknown; login?: unknown };
  if (typeof user.id !== 'number' && typeof user.id !== 'string')
    throw new SignInRefused('GitHub sent no user id');
  const emails = (await get('/user/emails')) as { email?: unknown; primary?: unknown; verified?: unknown }[];
  const primary = Array.isArray(emails)
    ? emails.find((e) => e.primary === true && e.verified === true && typeof e.email === 'string')
    : undefined;
  if (!primary) throw new SignInRefused('your GitHub account has no verified primary email address');
  return {
    subject: String(user.id),
    email: primary.email as string,
    name: typeof user.name === 'string' ? user.name : typeof user.login === 'string' ? user.login : null,
  };
}
