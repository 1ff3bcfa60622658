import { ChaosTenant } from './tenant.js';

/** A tenant whose source is a database server, reached by URL. */
export abstract class ServerTenant extends ChaosTenant {
  protected abstract readonly engine: 'postgres' | 'mariadb';

  constructor(
    name: string,
    dir: string,
    prefix: string,
    protected readonly url: string,
  ) {
    super(name, dir, prefix);
  }

  get sourceConfig() {
    return { type: this.engine, url: this.url };
  }
}
