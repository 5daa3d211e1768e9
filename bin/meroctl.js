#!/usr/bin/env node
// meroctl: the compiled build when current, else the TypeScript sources through tsx (bin/launch.js).
import { launch } from './launch.js';
await launch('cli/meroctl');
