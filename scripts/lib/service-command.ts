/**
 * How every launcher starts a service: here (tests, benches, chaos), docker/Dockerfile, docker-compose.yml and
 * package.json (test/deploy/compose.spec.ts keeps them the same).
 */
export type Service = 'api' | 'worker';

/**
 * The environment every service runs with, besides its settings. The C library's allocator gives every block of
 * 128 KiB or more its own mapping, returned when freed. By default it raises that threshold to the largest block
 * freed so far (up to 32 MB), and from then on a job's buffers (a request, a Redis reply, a pg message: megabytes
 * each) come from its heap, which keeps what they fragment (docs/operations.md, Memory).
 */
export const SERVICE_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' } as const;

/** The service's compiled entry point under the repository root. */
export const serviceEntry = (service: Service) => `dist/apps/${service}/src/main.js`;

/**
 * Node's flags for each service. The API's young generation is 16 MB, not V8's 32: it was a sixth of the API's peak
 * memory under a load (17-22 MB less now, for about 7% more of the API's CPU there), and its version GETs cost the
 * same (with 8 MB, 15-30% more). Its intake threads keep their own, smaller (UploadIntake). docs/benchmarks.md, The
 * API's young generation.
 */
export const SERVICE_NODE_FLAGS: Record<Service, string[]> = { api: ['--max-semi-space-size=8'], worker: [] };

/** The arguments of `node` that start the service from the repository root `root`. */
export const serviceArgs = (root: string, service: Service): string[] => [
  ...SERVICE_NODE_FLAGS[service],
  `${root}/${serviceEntry(service)}`,
];
