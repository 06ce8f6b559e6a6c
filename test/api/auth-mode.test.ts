import { describe, expect, it } from 'vitest';
import { authModeLine } from '../../api/auth/mode.ts';
import { loadConfig } from '../../core/config.ts';

const line = (env: Record<string, string>) => authModeLine(loadConfig({ DEMO_DATA: 'off', ...env }));

describe('the AUTH line printed at start', () => {
  it('auto on loopback with the embedded store: off, the local user is admin', () => {
    expect(line({})).toEqual({ level: 'info', message: expect.stringMatching(/^auth: off \(AUTH=auto/) });
  });
  it('auto beyond loopback, or with MySQL: on, saying why', () => {
    expect(line({ HOST: '0.0.0.0' }).message).toMatch(
      /^auth: on \(AUTH=auto listening on 0\.0\.0\.0, beyond loopback\)/,
    );
    expect(line({ MYSQL_URL: 'mysql://root@127.0.0.1:3306/x' }).message).toMatch(
      /^auth: on \(AUTH=auto with MySQL/,
    );
    expect(line({ AUTH: 'on' }).message).toMatch(/^auth: on \(AUTH=on\)/);
  });
  it('AUTH=off beyond loopback: a loud warning that anyone reaching the port is admin', () => {
    const l = line({ AUTH: 'off', HOST: '0.0.0.0' });
    expect(l.level).toBe('warn');
    expect(l.message).toMatch(/ANYONE WHO REACHES THIS PORT IS ADMIN/);
    expect(line({ AUTH: 'off' })).toEqual({
      level: 'info',
      message: expect.stringMatching(/^auth: off \(AUTH=off\)/),
    });
  });
});
