#!/usr/bin/env node
// The agent CLI, from the compiled output (`npm run build`).
import '../dist/apps/agent/src/main.js';
