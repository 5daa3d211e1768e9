#!/usr/bin/env node
// mero-auth: the authentication service (see docs/auth.md). Runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';
register();
await import('../src/auth/standalone.ts');
