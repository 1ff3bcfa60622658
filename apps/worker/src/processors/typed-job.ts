import type { Job } from 'bullmq';
import type { JobMap, JobName } from '#contracts';

/** A BullMQ job typed by the shared job map. */
export type TypedJob<N extends JobName> = Job<JobMap[N]['data'], JobMap[N]['result'], N>;
