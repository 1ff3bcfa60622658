import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { tableNameSchema } from '#contracts';
import { schemaProblems } from './schema-problems.js';

/**
 * Validates every parameter declared with a schema (`@Body({ schema })`, `@Query({ schema })`,
 * `@Param('x', { schema })`): the same zod schemas the OpenAPI document at /docs is generated from. The 400 names
 * what was wrong (a parameter by its schema's title) and each field's problem.
 */
@Injectable()
export class SchemaPipe implements PipeTransform {
  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (!metadata.schema) return value;
    const result = await metadata.schema['~standard'].validate(value);
    if (!result.issues) return result.value;
    throw new BadRequestException(`invalid ${what(metadata)}: ${schemaProblems(result.issues)}`);
  }
}

function what(metadata: ArgumentMetadata): string {
  if (metadata.type === 'body') return 'request body';
  if (metadata.type === 'query') return 'query';
  const title = z.globalRegistry.get(metadata.schema as z.ZodType)?.title;
  return title ?? String(metadata.data ?? metadata.type);
}

/** The `:table` path parameter, checked as registration checks a name. */
export const TABLE_PARAM = { schema: tableNameSchema.meta({ title: 'table name' }) };
