#!/usr/bin/env node
// mero-auth: the authentication service (see docs/auth.md); the compiled build when current, else the
// TypeScript sources through tsx (bin/launch.js).
import { launch } from './launch.js';
await launch('auth/standalone');
