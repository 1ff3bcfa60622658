import { databaseUrl } from './config.js';
import { migrate } from './data-source.js';
import { ensureServiceRole } from './service-role.js';

// Deploy step: `npm run migrate`, as the schema's owner. With SERVICE_ROLE (and SERVICE_PASSWORD) set, it also makes
// the login role the API and workers connect as (docs/security.md). Exits non-zero with the reason when it cannot.
try {
  const ran = await migrate();
  console.log(ran.length ? `applied migrations: ${ran.join(', ')}` : 'schema is up to date');
  if (process.env.SERVICE_ROLE) {
    await ensureServiceRole(databaseUrl(), process.env.SERVICE_ROLE, process.env.SERVICE_PASSWORD);
    console.log(`service role ${process.env.SERVICE_ROLE} is a member of rowferry_app`);
  }
} catch (err) {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
