/**
 * How every launcher starts a service: here (tests, benches, chaos), docker/Dockerfile, docker-compose.yml and
 * package.json (test/deploy/compose.spec.ts keeps them the same). Both choices are memory (docs/operations.md, Memory):
 * - the API's young generation is 8 MB instead of V8's 32: its event loop handles small requests, and its large strings
 *   (bodies, jobs) live in V8's large-object space, so a smaller one costs it little CPU. The workers keep V8's: their
 *   20,000-row batches must die young;
 * - the C library's allocator gives every block of 128 KiB or more its own mapping, returned when freed. By default
 *   it raises that threshold to the largest block freed so far (up to 32 MB), and from then on a job's buffers (a
 *   request, a Redis reply, a pg message: megabytes each) come from its heap, which keeps what they fragment.
 */
export const SERVICE_NODE_FLAGS = {
  api: ['--max-semi-space-size=4'],
  worker: [],
} as const satisfies Record<string, readonly string[]>;

export type Service = keyof typeof SERVICE_NODE_FLAGS;

/** The environment every service runs with, besides its settings. */
export const SERVICE_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' } as const;

/** The service's compiled entry point under the repository root. */
export const serviceEntry = (service: Service) => `dist/apps/${service}/src/main.js`;

/** The arguments of `node` that start the service from the repository root `root`. */
export const serviceArgs = (root: string, service: Service): string[] => [
  ...SERVICE_NODE_FLAGS[service],
  `${root}/${serviceEntry(service)}`,
];
