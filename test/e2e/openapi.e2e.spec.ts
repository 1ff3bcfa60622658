import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetricsController } from '#observability';
import { API_CONTROLLERS } from '../../apps/api/src/controllers.js';
import { startStack, type Stack } from '../../scripts/lib/stack.js';

interface Operation {
  parameters?: { name: string; in: string; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: BodySchema }> };
  security?: Record<string, string[]>[];
}
interface BodySchema {
  type?: string;
  properties?: Record<string, unknown>;
  oneOf?: BodySchema[];
  anyOf?: BodySchema[];
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Every route the controllers declare, as `METHOD /path/{param}`. */
function declaredRoutes(controllers: Type[]): string[] {
  const join = (...parts: string[]) =>
    `/${parts
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .join('/')}`.replace(/:(\w+)/g, '{$1}');
  return controllers.flatMap((controller) => {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    return Object.getOwnPropertyNames(controller.prototype).flatMap((name) => {
      const handler = controller.prototype[name];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (name === 'constructor' || path === undefined) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      return [`${method} ${join(base, path)}`];
    });
  });
}

/** GET /docs-json: the OpenAPI description, generated from the schemas the API validates with. */
describe('the OpenAPI description', () => {
  let stack: Stack;
  let doc: Document;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, path, op })),
    );

  beforeAll(async () => {
    stack = await startStack('openapi', 0);
    const res = await fetch(`${stack.apiUrl}/docs-json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  });
  afterAll(() => stack?.stop());

  it('describes every route of every controller, and nothing else', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(
      operations()
        .map((o) => o.route)
        .sort(),
    ).toEqual(declaredRoutes([...API_CONTROLLERS, MetricsController]).sort());
  });

  it('gives every body, query and path parameter its schema, from the zod schemas the API validates with', () => {
    const upload = doc.paths['/v1/customers/{customerId}/databases/{databaseId}/tables/{table}'].post;
    const body = upload.requestBody!.content['application/json'].schema;
    expect(body.type).toBe('object');
    expect(Object.keys(body.properties!)).toEqual(expect.arrayContaining(['rows']));
    for (const { route, op } of operations()) {
      const content = op.requestBody?.content['application/json'];
      // An object with its fields, or a choice of them (a delete by keys, above a version, or of all).
      const shapes = content && [content.schema, ...(content.schema.oneOf ?? content.schema.anyOf ?? [])];
      if (shapes)
        expect([route, shapes.some((b) => Object.keys(b.properties ?? {}).length > 0)]).toEqual([route, true]);
      for (const p of op.parameters ?? [])
        expect([route, p.name, p.schema]).toEqual([route, p.name, expect.any(Object)]);
    }
    const table = upload.parameters!.find((p) => p.name === 'table')!;
    expect(table.schema).toMatchObject({ type: 'string', title: 'table name', pattern: expect.any(String) });
    const batches = doc.paths['/v1/customers/{customerId}/databases/{databaseId}/tables/{table}/batches'].get;
    expect(batches.parameters!.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'before']),
    );
  });

  it('names the credential of every route: the database secret, the admin token, the enrollment key, the metrics token', () => {
    for (const { route, path, op } of operations()) {
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
      if (path.startsWith('/v1/customers/{customerId}/databases/{databaseId}'))
        expect([route, schemes]).toEqual([route, ['database']]);
      else if (path.startsWith('/v1/admin/') || path === '/ops/status')
        expect([route, schemes]).toEqual([route, ['admin']]);
      else if (path === '/v1/customers/{customerId}/databases')
        expect([route, schemes]).toEqual([route, ['enrollment']]);
      else if (path === '/metrics') expect([route, schemes]).toEqual([route, ['metrics']]);
      else expect([route, op.security]).toEqual(['GET /health', expect.arrayContaining([{}, { admin: [] }])]);
    }
  });

  it('is browsable at /docs', async () => {
    const res = await fetch(`${stack.apiUrl}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
  });
});
