import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evalhouse } from '../helpers/cli.ts';

/**
 * The team install without a Docker engine (none runs on our machines): the compose file validates with
 * Debian's docker-compose, the image runs only commands the project has, and the Prometheus and Grafana
 * files fit each other. deploy/prometheus.integration.test.ts runs the same topology as plain processes.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const read = (p: string) => readFileSync(`${ROOT}${p}`, 'utf8');

function need(bin: string, pkg: string) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`]);
  if (r.status !== 0)
    throw new Error(
      `${bin} is not installed: .ci/run installs it (Debian package ${pkg}); apt-get install ${pkg}`,
    );
}

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
  volumes?: (string | { source?: string; target?: string })[];
  ports?: unknown[];
  depends_on?: Record<string, { condition?: string }>;
}

/** The compose file as docker-compose resolves it (anchors merged, variables interpolated with defaults). */
function resolvedCompose(): { services: Record<string, ComposeService> } {
  need('docker-compose', 'docker-compose');
  const r = spawnSync('docker-compose', ['--file', `${ROOT}docker-compose.yml`, 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
  });
  expect(r.status, r.stderr).toBe(0);
  return parse(r.stdout) as { services: Record<string, ComposeService> };
}

/** ENTRYPOINT and CMD of the Dockerfile's last stage (exec form: JSON arrays). */
function dockerfileRuntime(): { entrypoint: string[]; cmd: string[]; user: string | null } {
  const stages = read('Dockerfile').split(/^FROM /m);
  const last = stages[stages.length - 1]!;
  const json = (instr: string) => {
    const m = last.match(new RegExp(`^${instr} (\\[.*\\])$`, 'm'));
    return m ? (JSON.parse(m[1]!) as string[]) : [];
  };
  return { entrypoint: json('ENTRYPOINT'), cmd: json('CMD'), user: last.match(/^USER (\S+)$/m)?.[1] ?? null };
}

describe('docker-compose.yml', () => {
  it('validates (docker-compose config -q)', () => {
    need('docker-compose', 'docker-compose');
    const r = spawnSync('docker-compose', ['--file', `${ROOT}docker-compose.yml`, 'config', '-q'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('has the topology of the team install', () => {
    const { services } = resolvedCompose();
    expect(Object.keys(services).sort()).toEqual(
      ['api-1', 'api-2', 'grafana', 'mysql', 'prometheus', 'redis', 'worker-1', 'worker-2'].sort(),
    );
    expect(services.mysql!.image).toBe('mysql:8.4');
    expect(services.mysql!.healthcheck?.test?.join(' ')).toMatch(/mysqladmin ping/);
    expect(JSON.stringify(services.mysql!.volumes)).toMatch(/\/var\/lib\/mysql/);
    for (const name of ['api-1', 'api-2', 'worker-1', 'worker-2']) {
      const s = services[name]!;
      expect(s.build, `${name} is built from the repository's Dockerfile`).toBeDefined();
      expect(s.environment?.MYSQL_URL).toMatch(/^mysql:\/\/[^@]+@mysql:3306\//);
      expect(s.environment?.REDIS_URL).toBe('redis://redis:6379');
      // Prometheus scrapes from its own container: a loopback-only listener would be out of its reach
      expect(s.environment?.HOST, `${name} listens beyond loopback`).toBe('0.0.0.0');
    }
    // every replica answers to the name Prometheus scrapes it by (api/security.ts refuses unknown Host names)
    for (const name of ['api-1', 'api-2'])
      expect(services[name]!.environment?.ALLOWED_HOSTS?.split(',')).toEqual(
        expect.arrayContaining(['api-1', 'api-2']),
      );
    for (const name of ['worker-1', 'worker-2'])
      expect(services[name]!.healthcheck?.test?.join(' ')).toContain(
        `:${services[name]!.environment?.WORKER_METRICS_PORT}/health`,
      );
    // api-2 waits for api-1, which migrates MySQL (migrations take no lock: one process applies them)
    expect(services['api-2']!.depends_on?.['api-1']?.condition).toBe('service_healthy');
  });

  it('runs only commands the project has', async () => {
    const { services } = resolvedCompose();
    const pkg = JSON.parse(read('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const image = dockerfileRuntime();
    // the image runs the CLI through tsx: tsx must survive `npm ci --omit=dev`
    expect(image.entrypoint).toEqual(['node', '--import', 'tsx', 'cli/main.ts']);
    expect(pkg.dependencies.tsx, 'tsx is a runtime dependency').toBeDefined();
    expect(existsSync(`${ROOT}cli/main.ts`)).toBe(true);
    expect(image.user).toBe('node');
    // the commands the CLI itself lists (`evalhouse help`), not a copy of its table
    const help = await evalhouse(['help'], {}).done;
    expect(help.code, help.stderr).toBe(0);
    const cliCommands = new Set(
      help.stdout
        .slice(help.stdout.indexOf('commands:'))
        .split('\n')
        .slice(1)
        .map((l) => l.match(/^ {2}(\S+)\s/)?.[1])
        .filter((c): c is string => c !== undefined),
    );
    expect(cliCommands).toContain('serve');
    expect(cliCommands.has(image.cmd[0]!), `the image's default command ${image.cmd[0]}`).toBe(true);
    const ours = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(ours.map(([n]) => n).sort()).toEqual(['api-1', 'api-2', 'worker-1', 'worker-2']);
    const unknown: string[] = [];
    for (const [name, s] of ours) {
      expect(s.entrypoint, `${name} keeps the image's entrypoint`).toBeUndefined();
      const command = Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/);
      if (!cliCommands.has(command[0]!)) unknown.push(`${name}: evalhouse ${command.join(' ')}`);
    }
    expect(unknown, `commands the CLI has: ${[...cliCommands].join(', ')}`).toEqual([]);
  });
});

describe('Dockerfile', () => {
  it('builds the UI in a stage of its own and runs without devDependencies, unprivileged, with a healthcheck', () => {
    const text = read('Dockerfile');
    const stages = text.split(/^FROM /m).slice(1);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const [build, runtime] = [stages[0]!, stages[stages.length - 1]!];
    expect(build).toMatch(/^RUN npm ci\b(?!.*--omit=dev)/m);
    expect(build).toMatch(/build-dashboards\.mjs/);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(runtime).toMatch(/^COPY --from=\S+ \/app\/dashboards\/dist /m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(dockerfileRuntime().user).toBe('node');
    // the runtime must not need what --omit=dev leaves out: the entrypoint's loader is a dependency
    const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
    for (const word of dockerfileRuntime().entrypoint) expect(pkg.devDependencies[word]).toBeUndefined();
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['node_modules', '.git', 'data', 'dashboards/dist']) expect(ignored).toContain(p);
  });
});

describe('deploy/: Prometheus and Grafana', () => {
  it('promtool accepts the scrape configuration, which scrapes every API replica and worker', () => {
    need('promtool', 'prometheus');
    const r = spawnSync('promtool', ['check', 'config', `${ROOT}deploy/prometheus/prometheus.yml`], {
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const { services } = resolvedCompose();
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual(
      expect.arrayContaining([
        `api-1:${services['api-1']!.environment?.PORT}`,
        `api-2:${services['api-2']!.environment?.PORT}`,
        `worker-1:${services['worker-1']!.environment?.WORKER_METRICS_PORT}`,
        `worker-2:${services['worker-2']!.environment?.WORKER_METRICS_PORT}`,
      ]),
    );
  });

  it("Grafana's provisioning points at the compose file's Prometheus and dashboard folder", () => {
    const { services } = resolvedCompose();
    const mounts = (services.grafana!.volumes ?? []).map((v) =>
      typeof v === 'string' ? v : `${v.source}:${v.target}`,
    );
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    expect(ds.datasources).toHaveLength(1);
    const [source] = ds.datasources;
    expect(source!.type).toBe('prometheus');
    expect(new URL(source!.url).host).toBe('prometheus:9090');
    const provider = parse(read('deploy/grafana/provisioning/dashboards/evalhouse.yml')) as {
      providers: { options: { path: string } }[];
    };
    const path = provider.providers[0]!.options.path;
    expect(
      mounts.some((m) => m.endsWith(`deploy/grafana/dashboards:${path}`) || m.includes(`:${path}`)),
    ).toBe(true);
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/evalhouse.json')) as {
      panels: { type: string; datasource?: { uid: string }; targets?: { datasource?: { uid: string } }[] }[];
    };
    const uids = new Set(
      dashboard.panels
        .filter((p) => p.type !== 'row')
        .flatMap((p) => [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)]),
    );
    expect([...uids]).toEqual([source!.uid]);
  });
});
