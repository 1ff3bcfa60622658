import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SERVICE_ENV, SERVICE_NODE_FLAGS, serviceEntry, type Service } from '../../scripts/lib/service-command.js';

const root = join(import.meta.dirname, '../..');

interface ComposeService {
  restart?: string;
  command?: string[];
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  profiles?: string[];
}

/** The compose file as Debian's docker-compose reads it (.ci/run installs it), every profile on. */
function composeConfig(): { services: Record<string, ComposeService> } {
  const env = {
    ...process.env,
    ADMIN_TOKEN: 'a'.repeat(24),
    JOB_SIGNING_KEY: 'k'.repeat(32),
    METRICS_TOKEN: 'm'.repeat(24),
  };
  const out = execFileSync('docker-compose', ['--profile', 'monitoring', 'config'], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  return parse(out);
}

/** Every `rowferry_…` metric the code defines. */
function definedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(/name: '(rowferry_\w+)'/g)) names.add(m[1]);
    }
  };
  walk(join(root, 'apps'));
  return names;
}

describe('the compose file and the monitoring it ships', () => {
  const { services } = composeConfig();

  it('runs every long-lived service with a restart policy and a health check, the API and workers within limits', () => {
    for (const name of ['postgres', 'redis', 'api', 'worker']) {
      expect([name, services[name].restart]).toEqual([name, 'unless-stopped']);
      expect(services[name].healthcheck?.test.length).toBeGreaterThan(0);
    }
    for (const name of ['api', 'worker']) expect(services[name].deploy?.resources?.limits?.memory).toBeDefined();
    expect(services.migrate.restart).toBe('no');
  });

  it('starts the API and the workers as the tests and benches do (scripts/lib/service-command.ts)', () => {
    const command = (service: Service) => ['node', ...SERVICE_NODE_FLAGS[service], serviceEntry(service)];
    const environment = Object.entries(SERVICE_ENV).map(([name, value]) => `${name}=${value}`);
    expect(environment).toContain('MALLOC_MMAP_THRESHOLD_=131072'); // memory (docs/operations.md)
    expect(SERVICE_NODE_FLAGS.api).toContain('--max-semi-space-size=8');
    const dockerfile = readFileSync(join(root, 'docker/Dockerfile'), 'utf8');
    expect(JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1])).toEqual(command('api')); // the image's own command
    for (const variable of environment) expect(dockerfile).toContain(`\nENV ${variable}\n`);
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
    for (const service of ['api', 'worker'] as const) {
      expect(services[service].command).toEqual(command(service)); // in the image, whose ENV they inherit
      expect(scripts[`start:${service}`]).toBe([...environment, ...command(service)].join(' '));
    }
  });

  it("checks a worker's health on its ops port, which Prometheus scrapes", () => {
    const port = services.worker.environment!.OPS_PORT;
    expect(services.worker.environment!.OPS_HOST).toBe('0.0.0.0');
    expect(services.worker.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${port}/health`);
    const prometheus = parse(readFileSync(join(root, 'docker/prometheus.yml'), 'utf8'));
    const workers = prometheus.scrape_configs.find((c: { job_name: string }) => c.job_name === 'rowferry-worker');
    expect(workers.dns_sd_configs[0]).toMatchObject({ names: ['worker'], port: Number(port) });
    for (const c of prometheus.scrape_configs)
      expect(c.authorization.credentials_file).toBe('/prometheus/metrics_token');
    expect(services.prometheus.profiles).toEqual(['monitoring']);
    expect(services.grafana.profiles).toEqual(['monitoring']);
  });

  it('has a dashboard that reads only metrics the code defines, and each of them', () => {
    const dashboard = JSON.parse(readFileSync(join(root, 'docker/grafana/dashboards/rowferry.json'), 'utf8'));
    const queried = new Set<string>(
      dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
        p.targets.flatMap((t) =>
          [...t.expr.matchAll(/rowferry_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
        ),
      ),
    );
    expect([...queried].sort()).toEqual([...definedMetrics()].sort());
  });
});
