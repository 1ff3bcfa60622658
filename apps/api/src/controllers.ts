import { BatchesController } from './batches/batches.controller.js';
import { AdminQuarantineController, QuarantineController } from './quarantine/quarantine.controller.js';
import { HealthController } from './health/health.controller.js';
import { MarkersController } from './markers/markers.controller.js';
import { JobsController } from './jobs/jobs.controller.js';
import { SubmissionController } from './submission/submission.controller.js';
import { TablesController } from './tables/tables.controller.js';
import { TenancyController } from './tenancy/tenancy.controller.js';
import { StatusPageController } from './ops/status-page.controller.js';

/** The API's own routes (the metrics endpoint comes with MetricsModule); the OpenAPI test reads them. */
export const API_CONTROLLERS = [
  TenancyController,
  TablesController,
  SubmissionController,
  JobsController,
  BatchesController,
  QuarantineController,
  AdminQuarantineController,
  MarkersController,
  HealthController,
  StatusPageController,
];
