import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';

/**
 * OpenID Connect sign-in (Google, or any issuer with a discovery document): the authorization-code flow
 * with state, nonce and PKCE, and the ID token verified against the issuer's published keys.
 */
export interface OidcClient {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

export interface OidcIdentity {
  subject: string;
  email: string;
  name: string | null;
}

/** Why a sign-in was refused, for the audit log and the page (never a token). */
export class SignInRefused extends Error {}

const discoveries = new Map<
  string,
  Promise<{ doc: Discovery; jwks: ReturnType<typeof createRemoteJWKSet> }>
>();

async function discover(issuer: string) {
  let found = discoveries.get(issuer);
  if (!found) {
    found = (async () => {
      const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new SignInRefused(`the OpenID provider's discovery document answered ${res.status}`);
      const doc = (await res.json()) as Discovery;
      for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const)
        if (typeof doc[k] !== 'string') throw new SignInRefused(`the discovery document has no ${k}`);
      // OpenID Connect Discovery 4.3: the document must be the configured issuer's own
      if (doc.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, ''))
        throw new SignInRefused(`the discovery document names another issuer (${doc.issuer})`);
      return { doc, jwks: createRemoteJWKSet(new URL(doc.jwks_uri)) };
    })();
    discoveries.set(issuer, found);
    // a failed discovery is retried on the next sign-in
    found.catch(() => discoveries.delete(issuer));
  }
  return found;
}

const random = () => randomBytes(32).toString('base64url');

/** The provider's sign-in URL and the secrets the callback checks. */
export async function authorizationRequest(
  client: OidcClient,
  redirectUri: string,
): Promise<{ url: string; state: string; nonce: string; verifier: string }> {
  const { doc } = await discover(client.issuer);
  const state = random();
  const nonce = random();
  const verifier = random();
  const url = new URL(doc.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.toString(), state, nonce, verifier };
}

/** Exchanges the code for tokens and returns the verified identity of the ID token. */
export async function completeSignIn(
  client: OidcClient,
  p: { code: string; redirectUri: string; nonce: string; verifier: string },
): Promise<OidcIdentity> {
  const { doc } = await discover(client.issuer);
  const res = await fetch(doc.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: p.code,
      redirect_uri: p.redirectUri,
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code_verifier: p.verifier,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new SignInRefused(`the provider refused the authorization code (${res.status})`);
  const body = (await res.json()) as { id_token?: unknown };
  if (typeof body.id_token !== 'string') throw new SignInRefused('the provider sent no ID token');
  return verifyIdToken(client, body.id_token, p.nonce);
}

/**
 * The ID token's identity when its signature is the issuer's, its issuer and audience are ours, it is
 * not expired, its nonce is this sign-in's and its email is verified; SignInRefused otherwise.
 */
export async function verifyIdToken(
  client: OidcClient,
  idToken: string,
  nonce: string,
): Promise<OidcIdentity> {
  const { doc, jwks } = await discover(client.issuer);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(idToken, jwks, {
      issuer: doc.issuer,
      audience: client.clientId,
      algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JOSEError)
      throw new SignInRefused(`the ID token is not valid (${err.code})`);
    throw err;
  }
  // OpenID Connect Core 3.1.3.7: a token for several audiences must name us as its authorized party
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== client.clientId)
    throw new SignInRefused('the ID token was issued to another client (azp)');
  if (payload.nonce !== nonce) throw new SignInRefused('the ID token is not for this sign-in (nonce)');
  if (payload.email_verified !== true || typeof payload.email !== 'string')
    throw new SignInRefused('the provider has not verified this account’s email address');
  return {
    subject: String(payload.sub),
    email: payload.email,
    name: typeof payload.name === 'string' ? payload.name : null,
  };
}
