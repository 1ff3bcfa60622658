import type { Job } from 'bullmq';
import type { JobMap, JobName, Signed } from '#contracts';

/** A BullMQ job typed by the shared job map; its data carries the API's signature (JobGate checks it). */
export type TypedJob<N extends JobName> = Job<JobMap[N]['data'] & Partial<Signed>, JobMap[N]['result'], N>;
