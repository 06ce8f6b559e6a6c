import { type Config, LOOPBACK_HOSTS } from '../../core/config.ts';

/**
 * The line the server prints at start about sign-in: whether it is on and why. A warning when AUTH=off
 * on a HOST beyond loopback: anyone who reaches the port is then admin of every workspace.
 */
export function authModeLine(config: Pick<Config, 'auth' | 'host' | 'mysqlUrl' | 'env'>): {
  level: 'info' | 'warn';
  message: string;
} {
  const setting = config.env.AUTH?.trim() || 'auto';
  const loopback = LOOPBACK_HOSTS.has(config.host);
  if (config.auth.enabled) {
    const why =
      setting === 'on'
        ? 'AUTH=on'
        : config.mysqlUrl
          ? 'AUTH=auto with MySQL: a shared install'
          : `AUTH=auto listening on ${config.host}, beyond loopback`;
    return { level: 'info', message: `auth: on (${why}); every request needs a session or an API key` };
  }
  if (!loopback) {
    return {
      level: 'warn',
      message: `WARNING auth: OFF (AUTH=off) while listening on ${config.host}, beyond loopback: ANYONE WHO REACHES THIS PORT IS ADMIN of every workspace. Unset AUTH (or AUTH=on) to require sign-in.`,
    };
  }
  return {
    level: 'info',
    message:
      setting === 'off'
        ? 'auth: off (AUTH=off): every request acts as the local admin'
        : 'auth: off (AUTH=auto: the embedded store on loopback): the local user is admin; AUTH=on requires sign-in',
  };
}
