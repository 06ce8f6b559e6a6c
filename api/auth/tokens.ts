import { createHmac } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/**
 * The server's own signed tokens (compact JWS, HS256 keyed with the store secret): access tokens, and
 * the short-lived state of an OAuth sign-in kept in a cookie. Each kind carries its `typ`, so a token of
 * one kind is refused where another is expected.
 */
const ISSUER = 'evalhouse';

export interface AccessClaims {
  /** The user id. */
  userId: number;
  /** The refresh family the access token was issued for (revoking the family ends the token). */
  family: string;
}

// a key of its own derived from the secret, which also keys the stored API-key and refresh-token hashes
const key = (secret: string) => createHmac('sha256', secret).update('evalhouse token signing').digest();

async function sign(
  typ: string,
  claims: Record<string, unknown>,
  subject: string,
  secret: string,
  ttlS: number,
  now: Date,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ })
    .setIssuer(ISSUER)
    .setSubject(subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlS)
    .sign(key(secret));
}

/** The claims of a token of this kind with a good signature and not expired; null for anything else. */
async function verify(
  typ: string,
  token: string,
  secret: string,
  now: Date,
  toleranceS = 0,
): Promise<{ sub: string; claims: Record<string, unknown> } | null> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, key(secret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      typ,
      currentDate: now,
      clockTolerance: toleranceS,
    });
    if (protectedHeader.typ !== typ || typeof payload.sub !== 'string') return null;
    return { sub: payload.sub, claims: payload as Record<string, unknown> };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return null;
    throw err;
  }
}

const ACCESS = 'eh-access';
const OAUTH = 'eh-oauth';

export function signAccessToken(
  c: AccessClaims,
  secret: string,
  ttlS: number,
  now = new Date(),
): Promise<string> {
  return sign(ACCESS, { fam: c.family }, String(c.userId), secret, ttlS, now);
}

/** The user and family of a valid access token; null when forged, expired, malformed or of another kind. */
export async function verifyAccessToken(
  token: string,
  secret: string,
  now = new Date(),
  /** Seconds past expiry still accepted: logout names the family of an expired token. */
  toleranceS = 0,
): Promise<AccessClaims | null> {
  const v = await verify(ACCESS, token, secret, now, toleranceS);
  if (!v || !/^[1-9][0-9]{0,15}$/.test(v.sub) || typeof v.claims.fam !== 'string') return null;
  return { userId: Number(v.sub), family: v.claims.fam };
}

/** What an OAuth sign-in keeps between the redirect to the provider and the callback. */
export interface OAuthState {
  provider: 'google' | 'github';
  state: string;
  /** OpenID only. */
  nonce?: string;
  /** PKCE code verifier (OpenID only). */
  verifier?: string;
  /** Same-origin path to land on after sign-in. */
  returnTo: string;
}

export function signOAuthState(
  s: OAuthState,
  secret: string,
  ttlS: number,
  now = new Date(),
): Promise<string> {
  return sign(
    OAUTH,
    { st: s.state, n: s.nonce, v: s.verifier, rt: s.returnTo },
    s.provider,
    secret,
    ttlS,
    now,
  );
}

export async function verifyOAuthState(
  token: string,
  secret: string,
  now = new Date(),
): Promise<OAuthState | null> {
  const v = await verify(OAUTH, token, secret, now);
  if (!v || (v.sub !== 'google' && v.sub !== 'github')) return null;
  const { st, n, v: verifier, rt } = v.claims;
  if (typeof st !== 'string' || typeof rt !== 'string') return null;
  return {
    provider: v.sub,
    state: st,
    ...(typeof n === 'string' ? { nonce: n } : {}),
    ...(typeof verifier === 'string' ? { verifier } : {}),
    returnTo: rt,
  };
}
