import { z } from 'zod';

const schema = z.object({
  ADMIN_TOKEN: z
    .string({ error: 'ADMIN_TOKEN is not set: the admin API cannot be protected without it' })
    .min(16, 'ADMIN_TOKEN must be at least 16 characters'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address to listen on; loopback unless told otherwise (0.0.0.0 in a container). */
  HOST: z.string().default('127.0.0.1'),
  /** Largest request body accepted, in bytes. */
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(32 * 1024 * 1024),
});
export type ApiConfig = z.infer<typeof schema>;

/** Reads the API's settings from the environment; throws one message naming every bad variable. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`bad API configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

export const API_CONFIG = Symbol('API_CONFIG');
