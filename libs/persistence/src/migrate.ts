import { migrate } from './data-source.js';

// Deploy step: `npm run migrate`. Exits non-zero with the reason when it cannot migrate.
migrate()
  .then((ran) => console.log(ran.length ? `applied migrations: ${ran.join(', ')}` : 'schema is up to date'))
  .catch((err) => {
    console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
