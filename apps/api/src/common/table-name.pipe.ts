import { tableNameSchema } from '#contracts';
import { ZodPipe } from './zod.pipe.js';

/** The `:table` path parameter, checked as registration checks a name: a 400 names what is wrong with it. */
export class TableNamePipe extends ZodPipe<string> {
  constructor() {
    super(tableNameSchema, 'table name');
  }
}
