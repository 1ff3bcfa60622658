import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * The API's OpenAPI description, generated from the controllers and from the same zod schemas the API validates
 * requests with (`@Body({ schema })` and friends; NestJS and @nestjs/swagger read them as Standard Schemas). Served
 * at /docs (Swagger UI) and /docs-json.
 */
export function describeApi(app: INestApplication): OpenAPIObject {
  const bearer = (description: string) => ({ type: 'http' as const, scheme: 'bearer', description });
  const config = new DocumentBuilder()
    .setTitle('rowferry API')
    .setDescription(
      "The cloud side of rowferry: agents register their databases and tables, send rows, deletes and the difference check's questions as jobs, and read their jobs' results; ops create customers and read the quarantine. docs/api.md says what each route is for.",
    )
    .setVersion('1')
    .addBearerAuth(bearer("the database's secret, returned once when the database was registered"), 'database')
    .addBearerAuth(bearer("a customer's enrollment key, to register a database"), 'enrollment')
    .addBearerAuth(bearer('ADMIN_TOKEN'), 'admin')
    .addBearerAuth(bearer('METRICS_TOKEN'), 'metrics')
    .build();
  return SwaggerModule.createDocument(app, config, {
    standardSchemaConverter: (schema, { schemaType }) =>
      schema instanceof z.ZodType ? { schema: openApiSchema(schema, schemaType) } : undefined,
  });
}

/**
 * A zod schema in OpenAPI's words: zod's own conversion, told to describe the few values checked by hand for speed
 * (z.custom) by their meta. For the one body read by hand too (the upload's, on an intake thread) as for the rest.
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

export function serveApiDescription(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => describeApi(app), { jsonDocumentUrl: 'docs-json' });
}
