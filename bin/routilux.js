#!/usr/bin/env node
// The `routilux` command. The CLI is compiled TypeScript in dist/ (`npm run build`, run by `prepack`).
import "../dist/entry/cli.js";
