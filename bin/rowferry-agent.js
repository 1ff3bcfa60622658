#!/usr/bin/env node
// The agent CLI: one file bundled from the compiled output (`npm run build`), which starts faster than its modules.
import '../dist/rowferry-agent.mjs';
