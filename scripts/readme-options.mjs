#!/usr/bin/env node
// Rewrites the option tables of README.md (between `<!-- options: COMMAND -->` and `<!-- /options -->`)
// from the commands' own definitions. Run after `npm run build:ts`; test/readme.test.ts fails when a
// table differs from what the command defines.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../dist/cli/program.js';
import { withOptionTables } from '../dist/cli/reference.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readme, 'utf8');
const after = withOptionTables(before, buildProgram());
if (after !== before) writeFileSync(readme, after);
console.log(after === before ? 'README.md: the option tables are up to date' : 'README.md: option tables rewritten');
