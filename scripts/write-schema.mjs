#!/usr/bin/env node
// Writes docs/result.schema.json (JSON Schema of a result file) from the zod schema in
// src/report/schema.ts. Run after `npm run build:ts`: npm run schema
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { runResultJsonSchema } = await import(join(root, 'dist', 'report', 'schema.js'));
const schema = { $id: 'https://gpushare-micro/result.schema.json', title: 'gpushare-micro/run v1', ...runResultJsonSchema() };
writeFileSync(join(root, 'docs', 'result.schema.json'), `${JSON.stringify(schema, null, 2)}\n`);
console.error('wrote docs/result.schema.json');
