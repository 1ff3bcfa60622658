import type { ModuleRef } from '@nestjs/core';
import type { JobName } from '#contracts';
import { PROCESSORS } from './processors.js';
import { ProcessorsLifecycle } from './processors-lifecycle.js';

/** A module whose processors' workers consume the queues named here (undefined: the processor has no worker). */
function moduleWith(consumes: (name: JobName) => string | undefined, closed: string[] = []): ModuleRef {
  const byType = new Map(Object.entries(PROCESSORS).map(([name, type]) => [type, name as JobName]));
  return {
    get: (type: never) => {
      const queue = consumes(byType.get(type)!);
      return {
        constructor: type,
        worker: queue === undefined ? undefined : { name: queue, close: async () => void closed.push(queue) },
      };
    },
  } as unknown as ModuleRef;
}

describe('the processors of the job map', () => {
  it('start when every queue has a worker of its own', () => {
    expect(() => new ProcessorsLifecycle(moduleWith((name) => name)).onApplicationBootstrap()).not.toThrow();
  });

  it('refuse to start when a processor is bound to another queue, naming the queue left without a worker', () => {
    const lifecycle = new ProcessorsLifecycle(moduleWith((name) => (name === 'delete' ? 'upload' : name)));
    expect(() => lifecycle.onApplicationBootstrap()).toThrow(
      'no worker consumes queue "delete": its processor DeleteProcessor is bound to "upload"',
    );
  });

  it('refuse to start when a processor has no worker', () => {
    const lifecycle = new ProcessorsLifecycle(moduleWith((name) => (name === 'range-hash' ? undefined : name)));
    expect(() => lifecycle.onApplicationBootstrap()).toThrow(
      'no worker consumes queue "range-hash": its processor RangeHashProcessor is bound to "nothing"',
    );
  });

  it('close every worker at shutdown', async () => {
    const closed: string[] = [];
    await new ProcessorsLifecycle(moduleWith((name) => name, closed)).beforeApplicationShutdown('SIGTERM');
    expect(closed.sort()).toEqual(['delete', 'manifest-check', 'range-hash', 'upload']);
  });
});
